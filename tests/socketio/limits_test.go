package socketio

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/chatforge/chat/tests/e2e/harness"
)

// TestLimitsAndRefusals: a binary attachment is refused in the callback
// (bad_request); past WS_BAD_FRAME_LIMIT strikes the client gets an error
// event {code: "policy_violation"} and a server disconnect; an expired
// token gets {code: "token_expired"} the same way.
func TestLimitsAndRefusals(t *testing.T) {
	t.Parallel()
	s := harness.NewStack(t, harness.Options{Env: map[string]string{"ACCESS_TOKEN_TTL": "4s"}})
	gw := startGateway(t, s, "gateway", map[string]string{"WS_BAD_FRAME_LIMIT": "2"})
	d := newDriver(t)

	u := user(t, s)
	c := d.connect("strikes", gw.URL(), map[string]any{"transports": []string{"polling"}, "auth": map[string]any{"token": u.AccessToken}})
	c.waitType("connect")
	c.d.do(map[string]any{"op": "emitBinary", "id": c.id, "event": "send-message", "tag": "bin"})
	from := 0
	e := d.waitFor(&from, 15*time.Second, "ack of the binary emit", func(e sioEvent) bool { return e.Type == "ack" && e.Tag == "bin" })
	if a := decode[ackError](t, e.Data); a.Error == nil || a.Error.Code != "bad_request" {
		t.Fatalf("binary emit answered %s", e.Data)
	}
	for range 3 {
		c.emit("no-such-event", map[string]any{})
	}
	if code := decode[struct{ Code string }](t, c.waitEvent("error", func(raw json.RawMessage) bool {
		return decode[struct{ Code string }](t, raw).Code == "policy_violation"
	}).Data).Code; code != "policy_violation" {
		t.Fatalf("error code %q", code)
	}
	if r := c.waitType("disconnect").Reason; r != "io server disconnect" {
		t.Fatalf("disconnect reason %q", r)
	}

	v := user(t, s)
	x := d.connect("expiry", gw.URL(), map[string]any{"transports": []string{"websocket"}, "auth": map[string]any{"token": v.AccessToken}})
	x.waitType("connect")
	x.waitEvent("error", func(raw json.RawMessage) bool { return decode[struct{ Code string }](t, raw).Code == "token_expired" })
	if r := x.waitType("disconnect").Reason; r != "io server disconnect" {
		t.Fatalf("disconnect reason %q", r)
	}
}
