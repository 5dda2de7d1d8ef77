package socket

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatforge/chat/apps/gateway/internal/protocol"
)

// TestGateway runs the protocol against two in-process gateways sharing
// Redis, with the messaging module as the api. Subtests share the stack and
// run in order; each uses its own users and rooms.
func TestGateway(t *testing.T) {
	e := newEnv(t, 2, nil)

	t.Run("auth refusals", func(t *testing.T) {
		for name, tok := range map[string]string{"missing": "", "garbage": "not-a-jwt"} {
			if _, err := e.tryDial(0, tok); err == nil || !strings.Contains(err.Error(), "status 401") {
				t.Errorf("%s token: %v, want 401", name, err)
			}
		}
		a := e.user(t)
		expired, _, _ := e.signer.Sign(a.ID, a.SessionID, time.Now().Add(-time.Hour))
		if _, err := e.tryDial(0, expired); err == nil || !strings.Contains(err.Error(), "status 401") {
			t.Errorf("expired token: %v, want 401", err)
		}
		_ = e.revs.Revoke(context.Background(), a.SessionID)
		if _, err := e.tryDial(1, a.Token); err == nil || !strings.Contains(err.Error(), "status 401") {
			t.Errorf("revoked session: %v, want 401", err)
		}
		// The query parameter works too (browsers).
		b := e.user(t)
		conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(e.gws[0].srv.URL, "http")+"/ws?access_token="+b.Token, http.Header{})
		if err != nil {
			t.Fatalf("query token refused: %v", err)
		}
		conn.Close()
	})

	alice, bob, carol := e.user(t), e.user(t), e.user(t)
	room := e.room(t, "private", alice.ID, bob.ID)
	ca := e.dial(t, 0, alice.Token)
	cb := e.dial(t, 1, bob.Token)

	t.Run("join send ack receive across gateways", func(t *testing.T) {
		ca.send("join-room", "j", map[string]any{"roomId": room})
		if a := decode[map[string]any](t, ca.expect(t, "ack").Data); a["roomId"] != room || a["lastSeq"] != 0.0 {
			t.Errorf("join ack = %v", a)
		}
		cb.send("join-room", "j", map[string]any{"roomId": room})
		cb.expect(t, "ack")
		ca.send("send-message", "1", map[string]any{"roomId": room, "content": "hello", "clientMsgId": "c-1"})
		ack := ca.expect(t, "ack")
		if string(ack.Ref) != `"1"` {
			t.Errorf("ack ref = %s", ack.Ref)
		}
		a := decode[message](t, ack.Data)
		if a.Seq != 1 || a.RoomID != room || a.ID == "" || !strings.HasSuffix(a.Timestamp, "Z") {
			t.Errorf("send ack = %+v", a)
		}
		got := decode[message](t, cb.expect(t, "receive-message").Data)
		if got.ID != a.ID || got.Content != "hello" || got.UserID != alice.ID || got.ClientMsgID != "c-1" {
			t.Errorf("bob received %+v", got)
		}
		if own := decode[message](t, ca.expect(t, "receive-message").Data); own.ID != a.ID {
			t.Errorf("sender's own copy = %+v", own)
		}
	})

	t.Run("idempotent resend", func(t *testing.T) {
		ca.send("send-message", "2", map[string]any{"roomId": room, "content": "hello again?", "clientMsgId": "c-1"})
		a := decode[message](t, ca.expect(t, "ack").Data)
		if a.Seq != 1 {
			t.Errorf("resend ack = %+v, want the first message (seq 1)", a)
		}
		cb.quiet(t, 300*time.Millisecond, "receive-message")
	})

	t.Run("non-member and not joined", func(t *testing.T) {
		cc := e.dial(t, 0, carol.Token)
		cc.send("join-room", "x", map[string]any{"roomId": room})
		if d := decode[errData](t, cc.expect(t, "error").Data); d.Code != "not_found" {
			t.Errorf("non-member join error = %+v", d)
		}
		cc.send("send-message", "y", map[string]any{"roomId": room, "content": "sneaky"})
		if d := decode[errData](t, cc.expect(t, "error").Data); d.Code != "forbidden" {
			t.Errorf("send to unjoined room = %+v", d)
		}
		cc.send("typing-start", "z", map[string]any{"roomId": room})
		cc.expect(t, "error")
		ca.send("send-message", "3", map[string]any{"roomId": room, "content": "secret"})
		ca.expect(t, "ack")
		cb.expect(t, "receive-message")
		cc.quiet(t, 300*time.Millisecond, "receive-message", "typing-start", "message-read")
	})

	t.Run("api validation", func(t *testing.T) {
		ca.send("send-message", "v", map[string]any{"roomId": room, "content": strings.Repeat("x", 501)})
		f := ca.expect(t, "error")
		if d := decode[errData](t, f.Data); d.Code != "bad_request" || !strings.Contains(d.Message, "content") || string(f.Ref) != `"v"` {
			t.Errorf("over-long content: %+v ref %s", d, f.Ref)
		}
	})

	t.Run("resume with lastSeq", func(t *testing.T) {
		cb.conn.Close()
		for i := range 3 {
			ca.send("send-message", "", map[string]any{"roomId": room, "content": fmt.Sprint("missed ", i)})
			ca.expect(t, "ack")
		}
		cb = e.dial(t, 0, bob.Token)
		cb.send("join-room", "r", map[string]any{"roomId": room, "lastSeq": 2})
		for want := int64(3); want <= 5; want++ {
			if m := decode[message](t, cb.expect(t, "receive-message", "ack").Data); m.Seq != want {
				t.Fatalf("replayed seq %d, want %d", m.Seq, want)
			}
		}
		a := decode[map[string]any](t, cb.expect(t, "ack").Data)
		if a["lastSeq"] != 5.0 || a["recovered"] != true {
			t.Errorf("resume ack = %v", a)
		}
	})

	t.Run("mark-read", func(t *testing.T) {
		cb.send("mark-read", "m", map[string]any{"roomId": room, "seq": 4})
		if a := decode[map[string]any](t, cb.expect(t, "ack").Data); a["seq"] != 4.0 {
			t.Errorf("mark-read ack = %v", a)
		}
		r := decode[map[string]any](t, ca.expect(t, "message-read").Data)
		if r["userId"] != bob.ID || r["seq"] != 4.0 || r["roomId"] != room {
			t.Errorf("message-read = %v", r)
		}
	})

	t.Run("typing not echoed and expiring", func(t *testing.T) {
		ca.send("typing-start", "", map[string]any{"roomId": room})
		ty := decode[map[string]any](t, cb.expect(t, "typing-start").Data)
		if ty["userId"] != alice.ID || ty["roomId"] != room {
			t.Errorf("typing = %v", ty)
		}
		start := time.Now()
		cb.expect(t, "typing-stop")
		if d := time.Since(start); d < 500*time.Millisecond || d > 3*time.Second {
			t.Errorf("typing stopped after %v, want about the 1s TTL", d)
		}
		ca.quiet(t, 100*time.Millisecond, "typing-start", "typing-stop")
	})

	t.Run("leave-room", func(t *testing.T) {
		cb.send("leave-room", "l", map[string]any{"roomId": room})
		cb.expect(t, "ack")
		ca.send("send-message", "", map[string]any{"roomId": room, "content": "after leave"})
		ca.expect(t, "ack")
		cb.quiet(t, 300*time.Millisecond, "receive-message")
	})

	t.Run("bad frames", func(t *testing.T) {
		d := e.user(t)
		c := e.dial(t, 1, d.Token)
		cases := []struct{ frame, code string }{
			{`nope`, "bad_request"},
			{`{"event":"fly","ref":"u"}`, "unknown_event"},
			{`{"event":"join-room","ref":"b","data":{"roomId":"x"}}`, "bad_request"},
		}
		for _, tc := range cases {
			c.raw([]byte(tc.frame))
			if got := decode[errData](t, c.expect(t, "error").Data); got.Code != tc.code {
				t.Errorf("%s: code %s, want %s", tc.frame, got.Code, tc.code)
			}
		}
		c.raw([]byte(`{"event":"send-message","data":{"content":"` + strings.Repeat("x", 3000) + `"}}`))
		if got := decode[errData](t, c.expect(t, "error").Data); got.Code != "too_large" {
			t.Errorf("oversized: %s", got.Code)
		}
		if code := c.closeCode(t); code != protocol.ClosePolicyViolation {
			t.Errorf("close code after 4 strikes = %d, want 4008", code)
		}
	})

	t.Run("revocation closes with 4001", func(t *testing.T) {
		d := e.user(t)
		c := e.dial(t, 0, d.Token)
		start := time.Now()
		if err := e.revs.Revoke(context.Background(), d.SessionID); err != nil {
			t.Fatal(err)
		}
		if code := c.closeCode(t); code != protocol.CloseUnauthorized {
			t.Errorf("close code = %d, want 4001", code)
		}
		if el := time.Since(start); el > time.Second {
			t.Errorf("closed after %v, want under a second", el)
		}
	})

	t.Run("presence", func(t *testing.T) {
		// Presence goes to the members of a shared room (not the global one).
		d := e.user(t)
		shared := e.room(t, "private", alice.ID, d.ID)
		joinOK(t, ca, shared)
		c := e.dial(t, 1, d.Token)
		joinOK(t, c, shared)
		waitPresence(t, ca, d.ID, "online")
		c.conn.Close()
		p := waitPresence(t, ca, d.ID, "offline")
		if p["lastSeen"] == nil {
			t.Errorf("offline presence without lastSeen: %v", p)
		}
	})
}

func waitPresence(t *testing.T, c *wsClient, user, status string) map[string]any {
	t.Helper()
	for {
		p := decode[map[string]any](t, c.expect(t, "presence").Data)
		if p["userId"] == user && p["status"] == status {
			return p
		}
	}
}
