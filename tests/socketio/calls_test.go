package socketio

import (
	"encoding/json"
	"testing"

	"github.com/google/uuid"
)

// TestCallsOverSocketIO: call signaling through the official
// socket.io-client, one side on long-polling, the other on websocket, on
// two gateways: the invite rings, the answer reaches the caller, a
// candidate is relayed unchanged, the hang-up ends the other side, and
// acks carry the v1 data or {error}.
func TestCallsOverSocketIO(t *testing.T) {
	t.Parallel()
	s, gws := newStack(t, 2)
	alice, bob := user(t, s), user(t, s)
	room := createRoom(t, s, alice, bob.ID)
	d := newDriver(t)
	a := d.connect("alice", gws[0].URL(), map[string]any{"transports": []string{"polling"}, "auth": map[string]any{"token": alice.AccessToken}})
	b := d.connect("bob", gws[1].URL(), map[string]any{"transports": []string{"websocket"}, "auth": map[string]any{"token": bob.AccessToken}})
	a.waitEvent("ready", nil)
	b.waitEvent("ready", nil)

	id := uuid.NewString()
	callID := func(raw json.RawMessage) bool { return decode[struct{ CallID string }](t, raw).CallID == id }
	inv := decode[struct{ CallID, RoomID, Status string }](t, a.call("call-invite", map[string]any{"callId": id, "roomId": room, "media": "video", "sdp": "v=0 offer"}))
	if inv.CallID != id || inv.Status != "ringing" {
		t.Fatalf("invite ack %+v", inv)
	}
	in := decode[struct{ CallerID, Media, SDP string }](t, b.waitEvent("call-incoming", callID).Data)
	if in.CallerID != alice.ID || in.Media != "video" || in.SDP != "v=0 offer" {
		t.Fatalf("call-incoming %+v", in)
	}
	b.call("call-answer", map[string]any{"callId": id, "sdp": "v=0 answer"})
	if ans := decode[struct{ UserID, SDP string }](t, a.waitEvent("call-answered", callID).Data); ans.SDP != "v=0 answer" || ans.UserID != bob.ID {
		t.Fatalf("call-answered %+v", ans)
	}
	b.call("call-ice", map[string]any{"callId": id, "candidate": map[string]any{"candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host", "sdpMid": "0"}})
	ice := decode[struct {
		Candidate struct{ Candidate, SDPMid string } `json:"candidate"`
	}](t, a.waitEvent("call-ice", callID).Data)
	if ice.Candidate.Candidate != "candidate:1 1 udp 1 127.0.0.1 9 typ host" || ice.Candidate.SDPMid != "0" {
		t.Fatalf("call-ice %+v", ice)
	}
	a.call("call-hangup", map[string]any{"callId": id})
	if r := decode[struct{ Reason string }](t, b.waitEvent("call-ended", callID).Data); r.Reason != "hangup" {
		t.Fatalf("call-ended %+v", r)
	}
	if e := decode[ackError](t, b.call("call-answer", map[string]any{"callId": id, "sdp": "again"})); e.Error == nil || e.Error.Code != "call_over" {
		t.Fatalf("answer after the end: %+v", e)
	}
	if e := decode[ackError](t, a.call("call-invite", map[string]any{"callId": id, "roomId": room, "media": "fax", "sdp": "x"})); e.Error == nil || e.Error.Code != "bad_request" {
		t.Fatalf("bad media: %+v", e)
	}
}
