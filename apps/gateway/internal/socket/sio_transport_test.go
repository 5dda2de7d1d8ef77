package socket

import (
	"testing"
	"time"

	"github.com/chatforge/chat/apps/gateway/internal/protocol"
)

func TestSIOPacket(t *testing.T) {
	t.Parallel()
	cases := []struct{ frame, want string }{
		{`{"event":"ack","ref":17,"data":{"roomId":"r"}}`, `317[{"roomId":"r"}]`},
		{`{"event":"ack","ref":0}`, `30[null]`},
		{`{"event":"error","ref":3,"data":{"code":"not_found","message":"no room"}}`, `33[{"error":{"code":"not_found","message":"no room"}}]`},
		{`{"event":"error","data":{"code":"bad_request","message":"x"}}`, `2["error",{"code":"bad_request","message":"x"}]`},
		{`{"event":"receive-message","data":{"id":"m","seq":1}}`, `2["receive-message",{"id":"m","seq":1}]`},
		{`{"event":"ready","data":{"userId":"u"}}`, `2["ready",{"userId":"u"}]`},
	}
	for _, c := range cases {
		if got := string(sioPacket([]byte(c.frame))); got != c.want {
			t.Errorf("%s\n got %s\nwant %s", c.frame, got, c.want)
		}
	}
	// The frames the gateway builds translate the same way.
	if got := string(sioPacket(protocol.Ack([]byte("5"), []byte(`{"a":1}`)))); got != `35[{"a":1}]` {
		t.Errorf("protocol.Ack: %s", got)
	}
	// An overload refusal reaches the emit's ack callback with its hint.
	refused := protocol.ErrorFrame([]byte("6"), protocol.Unavailable("the server is busy; not stored, retry", 250*time.Millisecond))
	if got := string(sioPacket(refused)); got != `36[{"error":{"code":"unavailable","message":"the server is busy; not stored, retry","retryAfterMs":250}}]` {
		t.Errorf("overload refusal: %s", got)
	}
}

func TestSIOCloseCode(t *testing.T) {
	t.Parallel()
	cases := []struct {
		code   int
		reason string
		want   string
	}{
		{protocol.CloseUnauthorized, "session revoked", "session_revoked"},
		{protocol.CloseUnauthorized, "token expired", "token_expired"},
		{protocol.ClosePolicyViolation, "too many bad frames", "policy_violation"},
		{protocol.CloseGoingAway, "server going away", ""},
		{1011, "internal error", ""},
	}
	for _, c := range cases {
		if got := sioCloseCode(c.code, c.reason); got != c.want {
			t.Errorf("%d %q: %q, want %q", c.code, c.reason, got, c.want)
		}
	}
}

// A fan-out's frame (one slice to every socket) is translated once; a
// different slice, even with the same bytes, is translated again and the
// same way.
func TestSIOTextsCache(t *testing.T) {
	t.Parallel()
	var c sioTexts
	frame := []byte(`{"event":"receive-message","data":{"id":"m","seq":1}}`)
	first := c.text(frame)
	if string(first) != `42["receive-message",{"id":"m","seq":1}]` {
		t.Fatalf("text = %s", first)
	}
	if again := c.text(frame); &again[0] != &first[0] {
		t.Error("the same frame was translated again")
	}
	other := []byte(`{"event":"ack","ref":7,"data":{"x":1}}`)
	if got := string(c.text(other)); got != `437[{"x":1}]` {
		t.Errorf("other frame: %s", got)
	}
	copyOf := append([]byte(nil), frame...)
	if got := c.text(copyOf); string(got) != string(first) {
		t.Errorf("a copy translates to %s", got)
	}
}
