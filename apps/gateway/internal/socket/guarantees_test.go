package socket

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatforge/chat/apps/gateway/internal/gwmetrics"
	"github.com/chatforge/chat/apps/gateway/internal/protocol"
)

// TestResumeGlobalRoomMissedFirst: messages of the global room arrive
// between a client's connect and its join-room{global, lastSeq}; the
// client still gets every missed message first, in seq order, then the
// ack, then live ones: no reordering, no gap, no duplicate.
func TestResumeGlobalRoomMissedFirst(t *testing.T) {
	e := newEnv(t, 1, func(c *Config) { c.GlobalHold = 10 * time.Second })
	alice, bob := e.user(t), e.user(t)
	ca := e.dial(t, 0, alice.Token)
	send := func(content string) int64 {
		t.Helper()
		ca.send("send-message", content, map[string]any{"content": content})
		// The ack and Alice's own copy, in either order: once she has the
		// copy, the gateway's reader has fanned the message out to every
		// local socket, Bob's included.
		var acked, copied int64
		for acked == 0 || copied != acked {
			f := ca.expect(t, "ack", "receive-message")
			m := decode[message](t, f.Data)
			if f.Event == "ack" {
				acked = m.Seq
			} else if m.Content == content {
				copied = m.Seq
			}
		}
		return acked
	}
	first := send("before bob 1")
	send("before bob 2")
	send("before bob 3")
	cb := e.dial(t, 0, bob.Token)
	last := send("while bob is connected, not joined 1")
	last = max(last, send("while bob is connected, not joined 2"))

	cb.send("join-room", "j", map[string]any{"roomId": protocol.GlobalRoomID, "lastSeq": first})
	next := first + 1
	for {
		f := cb.expect(t, "receive-message", "ack")
		if f.Event == "ack" {
			a := decode[map[string]any](t, f.Data)
			if int64(a["lastSeq"].(float64)) != last || next != last+1 {
				t.Fatalf("ack %v after seq %d, want lastSeq %d after %d", a, next-1, last, last)
			}
			break
		}
		if m := decode[message](t, f.Data); m.Seq != next {
			t.Fatalf("got seq %d, want %d", m.Seq, next)
		}
		next++
	}
	live := send("after bob joined")
	if m := decode[message](t, cb.expect(t, "receive-message").Data); m.Seq != live {
		t.Errorf("live message seq %d, want %d", m.Seq, live)
	}
	cb.quiet(t, 200*time.Millisecond, "receive-message")
}

// TestGlobalHoldEnds: a client that says nothing still gets the global
// room's live messages once GlobalHold passes; one whose first frame is
// anything but join-room of the global room gets them at once.
func TestGlobalHoldEnds(t *testing.T) {
	e := newEnv(t, 1, func(c *Config) { c.GlobalHold = 300 * time.Millisecond })
	alice, bob, carol := e.user(t), e.user(t), e.user(t)
	ca := e.dial(t, 0, alice.Token)
	cb := e.dial(t, 0, bob.Token) // silent
	cc := e.dial(t, 0, carol.Token)
	cc.send("typing-stop", "t", nil) // any first frame
	cc.expect(t, "ack")
	start := time.Now()
	ca.send("send-message", "1", map[string]any{"content": "hi all"})
	seq := decode[message](t, ca.expect(t, "ack").Data).Seq
	if m := decode[message](t, cc.expect(t, "receive-message").Data); m.Seq != seq {
		t.Errorf("carol got seq %d, want %d", m.Seq, seq)
	}
	if m := decode[message](t, cb.expect(t, "receive-message").Data); m.Seq != seq {
		t.Errorf("silent bob got seq %d, want %d", m.Seq, seq)
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("silent client got the message after %s", el)
	}
}

// TestUpgradeRefusedUntilEventsStarted: a gateway whose event reader has
// not fixed its start ids yet refuses sockets with 503 (a socket joining a
// room then could miss events).
func TestUpgradeRefusedUntilEventsStarted(t *testing.T) {
	e := newEnv(t, 1, nil)
	d := e.gws[0].g.Deps
	d.Metrics = gwmetrics.New(prometheus.NewRegistry())
	d.Config.GatewayID += "-idle"
	g, err := New(d) // never Run: its event reader never starts
	if err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	g.Routes(r)
	srv := httptest.NewServer(r)
	defer srv.Close()
	a := e.user(t)
	_, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/ws?access_token="+a.Token, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("upgrade before the event reader started: status %d, err %v; want 503", status, err)
	}
	if resp.Header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
}

// TestHugeFrameCloses4008: a frame beyond 4 x MaxFrameBytes is a policy
// violation: close 4008 (ARCHITECTURE §3), not the transport's 1009. One
// within the tolerance gets too_large and the socket lives.
func TestHugeFrameCloses4008(t *testing.T) {
	e := newEnv(t, 1, nil) // MaxFrameBytes 2048
	c := e.dial(t, 0, e.user(t).Token)
	c.raw([]byte(`{"event":"send-message","data":{"content":"` + strings.Repeat("x", 3*2048) + `"}}`))
	if d := decode[errData](t, c.expect(t, "error").Data); d.Code != "too_large" {
		t.Errorf("tolerated oversize: %+v", d)
	}
	c.send("typing-stop", "alive", nil)
	c.expect(t, "ack")
	c.raw([]byte(`{"event":"send-message","data":{"content":"` + strings.Repeat("x", 4*2048) + `"}}`))
	if code := c.closeCode(t); code != protocol.ClosePolicyViolation {
		t.Errorf("close code = %d, want %d", code, protocol.ClosePolicyViolation)
	}
	waitConns(t, e.gws[0].g, 0)
}
