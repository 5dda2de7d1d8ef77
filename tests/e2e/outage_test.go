package e2e

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chatforge/chat/tests/e2e/harness"
)

// TestPostgresOutage stops the stack's own PostgreSQL (pg_ctl -m immediate:
// a crash, every connection cut) under a running api and gateway. Every
// endpoint that needs it answers 503 problem+json with Retry-After (not
// 500: nothing is wrong with the request or the server's code), the socket
// answers send-message and join-room "unavailable", /readyz names the
// failing check without its error text; and once PostgreSQL is back, all of
// it works again without restarting anything.
func TestPostgresOutage(t *testing.T) {
	t.Parallel()
	pg := harness.StartPrivatePostgres(t)
	s := harness.NewStack(t, harness.Options{Env: apiEnv(), DatabaseURL: pg.URL})
	gw := startGateway(t, s, "gateway", nil)
	c := s.Client(t)
	a := s.Register(t, c)
	u := newChat(t, s, c)
	room := u.createRoom("public")
	sock := connect(t, gw.WS(), a.AccessToken)
	sock.join(t, globalRoomID, -1)

	pg.Stop(t)

	requests := []struct {
		name, method, path string
		body               any
		token              string
	}{
		{"send message", http.MethodPost, "/api/chat/messages", map[string]any{"roomId": globalRoomID, "content": "in the dark"}, a.AccessToken},
		{"list rooms", http.MethodGet, "/api/chat/rooms", nil, a.AccessToken},
		{"history", http.MethodGet, "/api/chat/messages?roomId=" + globalRoomID, nil, a.AccessToken},
		{"profile", http.MethodGet, "/api/user/profile", nil, a.AccessToken},
		{"login", http.MethodPost, "/api/auth/login", map[string]string{"email": a.Email, "password": a.Password}, ""},
		{"refresh", http.MethodPost, "/api/auth/refresh", map[string]string{"refreshToken": a.RefreshToken}, ""},
		{"register", http.MethodPost, "/api/auth/register", map[string]string{
			"email": harness.UniqueEmail("outage"), "password": "pw-outage-123", "displayName": "Outage",
		}, ""},
	}
	for _, r := range requests {
		res := c.Do(r.method, r.path, r.body, r.token)
		if res.Status != http.StatusServiceUnavailable {
			t.Errorf("%s with PostgreSQL down: %s, want 503", r.name, res)
			continue
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
			t.Errorf("%s: Content-Type %q, want application/problem+json", r.name, ct)
		}
		if n, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || n <= 0 {
			t.Errorf("%s: Retry-After %q, want seconds", r.name, res.Header.Get("Retry-After"))
		}
		if p := res.Problem(t); p.Status != http.StatusServiceUnavailable || p.RequestID == "" {
			t.Errorf("%s: problem %+v", r.name, p)
		}
	}

	// Readiness says which dependency is down, and nothing about it.
	ready := c.Unchecked().Do(http.MethodGet, "/readyz", nil, "")
	if want := `{"checks":{"postgres":"down","redis":"ok"},"status":"unavailable"}`; ready.Status != http.StatusServiceUnavailable ||
		string(ready.Body) != want {
		t.Errorf("readyz with PostgreSQL down = %s, want 503 %s", ready, want)
	}

	sock.send("send-message", "s1", map[string]any{"roomId": globalRoomID, "content": "in the dark", "clientMsgId": "outage-1"})
	if e := jsonOf[wsError](t, sock.ExpectRef(t, "s1", "ack", "error").Data); e.Code != "unavailable" {
		t.Errorf("send-message with PostgreSQL down: %+v, want unavailable", e)
	}
	sock.send("join-room", "j1", map[string]any{"roomId": room.ID})
	if e := jsonOf[wsError](t, sock.ExpectRef(t, "j1", "ack", "error").Data); e.Code != "unavailable" {
		t.Errorf("join-room with PostgreSQL down: %+v, want unavailable", e)
	}

	pg.Start(t)

	// Recovery: the pool reconnects by itself. The first statements after
	// the restart may still meet a dead pooled connection (and answer 503
	// again), so retry for a while.
	recovered := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); !ok(); time.Sleep(200 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s did not recover after PostgreSQL restarted", what)
			}
		}
	}
	recovered("REST send", func() bool {
		res := c.Do(http.MethodPost, "/api/chat/messages", map[string]any{"roomId": globalRoomID, "content": "back"}, a.AccessToken)
		if res.Status != http.StatusCreated && res.Status != http.StatusServiceUnavailable {
			t.Fatalf("REST send while recovering: %s", res)
		}
		return res.Status == http.StatusCreated
	})
	for _, r := range requests[1:4] {
		if res := c.Do(r.method, r.path, r.body, r.token); res.Status != http.StatusOK {
			t.Errorf("%s after recovery: %s", r.name, res)
		}
	}
	s.Login(t, c, a.Email, a.Password)
	recovered("readyz", func() bool { return c.Unchecked().Do(http.MethodGet, "/readyz", nil, "").Status == http.StatusOK })

	sock.sendMessage(t, globalRoomID, "back on the socket", "outage-1")
	for i := 0; ; i++ {
		ref := fmt.Sprintf("j%d", i+2)
		sock.send("join-room", ref, map[string]any{"roomId": room.ID})
		f := sock.ExpectRef(t, ref, "ack", "error")
		if f.Event == "ack" {
			break
		}
		if e := jsonOf[wsError](t, f.Data); e.Code != "unavailable" || i > 10 {
			t.Fatalf("join-room after recovery: %+v", e)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
