package protocol

import (
	"strings"
	"testing"
)

func TestDecodeCall(t *testing.T) {
	t.Parallel()
	const id, room = "6b0f3c9e-59d5-4b7a-9a39-0d2b7e2f5a11", "8F1C2D3E-4A5B-4C6D-8E7F-9A0B1C2D3E4F"
	tests := []struct {
		event, data string
		msg         string // "" = ok
	}{
		{EventCallInvite, `{"callId":"` + id + `","roomId":"` + room + `","media":"video","sdp":"v=0"}`, ""},
		{EventCallInvite, `{"callId":"` + id + `","roomId":"` + room + `","media":"fax","sdp":"v=0"}`, "data.media"},
		{EventCallInvite, `{"callId":"` + id + `","roomId":"` + room + `","media":"audio"}`, "data.sdp is required"},
		{EventCallInvite, `{"callId":"` + id + `","media":"audio","sdp":"x"}`, "data.roomId is required"},
		{EventCallInvite, `{"callId":"nope","roomId":"` + room + `","media":"audio","sdp":"x"}`, "data.callId must be a UUID"},
		{EventCallAnswer, `{"callId":"` + id + `","sdp":"v=0"}`, ""},
		{EventCallAnswer, `{"callId":"` + id + `","sdp":""}`, "data.sdp is required"},
		{EventCallAnswer, `{"callId":"` + id + `","sdp":"v=0","roomId":"` + room + `"}`, "data.roomId is not a field"},
		{EventCallICE, `{"callId":"` + id + `","candidate":{"candidate":"c","sdpMid":"0","x":[1,{"y":null}]}}`, ""},
		{EventCallICE, `{"callId":"` + id + `","candidate":"any JSON"}`, ""},
		{EventCallICE, `{"callId":"` + id + `","candidate":null}`, "data.candidate is required"},
		{EventCallICE, `{"callId":"` + id + `","candidate":{"a":1,"a":2}}`, "data refused"},
		{EventCallHangup, `{"callId":"` + id + `"}`, ""},
		{EventCallHangup, `{"callId":"` + id + `","callid":"` + id + `"}`, "data refused"},
		{EventCallHangup, `{"callId":5}`, "data.callId must be a string"},
		{EventCallHangup, `null`, "data.callId is required"},
		{EventCallHangup, `[1]`, "data must be an object"},
	}
	for _, tt := range tests {
		c, perr := DecodeCall(tt.event, []byte(tt.data))
		switch {
		case tt.msg == "" && perr != nil:
			t.Errorf("%s %s: %v", tt.event, tt.data, perr)
		case tt.msg != "" && (perr == nil || perr.Code != CodeBadRequest || !strings.Contains(perr.Message, tt.msg)):
			t.Errorf("%s %s: got %v, want bad_request %q", tt.event, tt.data, perr, tt.msg)
		case tt.msg == "" && c.CallID != id:
			t.Errorf("%s: callId %q", tt.event, c.CallID)
		}
		if tt.msg == "" && tt.event == EventCallInvite && c.RoomID != strings.ToLower(room) {
			t.Errorf("roomId %q not canonical", c.RoomID)
		}
		if tt.msg == "" && tt.event == EventCallICE && !strings.Contains(tt.data, string(c.Candidate)) {
			t.Errorf("candidate %s changed", c.Candidate)
		}
	}
	for _, e := range []string{EventCallInvite, EventCallAnswer, EventCallICE, EventCallHangup} {
		if !KnownEvent(e) {
			t.Errorf("%s is not a known client event", e)
		}
	}
	for _, e := range []string{EventCallIncoming, EventCallAnswered, EventCallEnded} {
		if KnownEvent(e) {
			t.Errorf("server event %s accepted from clients", e)
		}
	}
}
