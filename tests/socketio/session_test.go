package socketio

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/chatforge/chat/tests/e2e/harness"
)

// sendREST posts a message as a over REST and returns its seq.
func sendREST(t *testing.T, s *harness.Stack, a harness.Account, room, content string) int64 {
	t.Helper()
	res := s.Client(t).Do(http.MethodPost, "/api/chat/messages", map[string]any{"roomId": room, "content": content}, a.AccessToken)
	if res.Status != http.StatusCreated {
		t.Fatalf("send %q: %s", content, res)
	}
	var m message
	res.JSON(t, &m)
	return m.Seq
}

// joinAck is join-room's ack.
type joinAck struct {
	RoomID    string `json:"roomId"`
	LastSeq   int64  `json:"lastSeq"`
	Recovered *bool  `json:"recovered"`
}

// TestResumeWithLastSeq: a client that was away joins again with the last
// seq it saw and gets exactly what it missed, in order, before the ack.
func TestResumeWithLastSeq(t *testing.T) {
	t.Parallel()
	s, gws := newStack(t, 1)
	alice, bob := user(t, s), user(t, s)
	room := createRoom(t, s, bob, alice.ID)
	d := newDriver(t)

	a := d.connect("a1", gws[0].URL(), map[string]any{"transports": []string{"websocket"}, "auth": map[string]any{"token": alice.AccessToken}})
	a.waitType("connect")
	a.call("join-room", map[string]any{"roomId": room})
	first := sendREST(t, s, bob, room, "one")
	a.waitEvent("receive-message", func(raw json.RawMessage) bool { return decode[message](t, raw).Seq == first })
	a.close()
	a.waitType("disconnect")

	missed := []int64{sendREST(t, s, bob, room, "two"), sendREST(t, s, bob, room, "three")}

	a2 := d.connect("a2", gws[0].URL(), map[string]any{"transports": []string{"polling"}, "auth": map[string]any{"token": alice.AccessToken}})
	a2.waitType("connect")
	ack := decode[joinAck](t, a2.call("join-room", map[string]any{"roomId": room, "lastSeq": first}))
	if ack.LastSeq != missed[1] || (ack.Recovered != nil && !*ack.Recovered) {
		t.Fatalf("join ack %+v", ack)
	}
	for _, seq := range missed {
		// In order: each wait reads on from the previous one.
		a2.waitEvent("receive-message", func(raw json.RawMessage) bool { return decode[message](t, raw).Seq == seq })
	}
}

// TestLogoutDisconnects: logging out sends an error event
// {code: "session_revoked"} and a server disconnect; the client does not
// reconnect by itself. The same for both transports.
func TestLogoutDisconnects(t *testing.T) {
	t.Parallel()
	s, gws := newStack(t, 1)
	d := newDriver(t)
	for _, transport := range []string{"websocket", "polling"} {
		u := user(t, s)
		c := d.connect(transport, gws[0].URL(), map[string]any{"transports": []string{transport}, "auth": map[string]any{"token": u.AccessToken}})
		c.waitType("connect")
		c.waitEvent("ready", nil)
		logout(t, s, u)
		e := c.waitEvent("error", nil)
		if code := decode[struct{ Code string }](t, e.Data).Code; code != "session_revoked" {
			t.Fatalf("%s: error event %s", transport, e.Data)
		}
		if r := c.waitType("disconnect").Reason; r != "io server disconnect" {
			t.Fatalf("%s: disconnect reason %q", transport, r)
		}
		time.Sleep(time.Second)
		d.mu.Lock()
		for _, e := range d.events[c.from:] {
			if e.ID == c.id && (e.Type == "connect" || e.Type == "connect_error") {
				t.Errorf("%s: the client tried again after the server disconnect: %+v", transport, e)
			}
		}
		d.mu.Unlock()
	}
}
