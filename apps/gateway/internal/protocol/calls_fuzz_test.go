package protocol

import (
	"encoding/json"
	"testing"

	"github.com/google/uuid"
)

// FuzzDecodeCall: what DecodeCall accepts is valid JSON for encoding/json
// too, has a canonical callId, the fields its event needs, and a candidate
// that is the valid JSON the client sent, byte for byte.
func FuzzDecodeCall(f *testing.F) {
	const id = "6b0f3c9e-59d5-4b7a-9a39-0d2b7e2f5a11"
	for i, s := range []string{
		`{"callId":"` + id + `","roomId":"` + id + `","media":"audio","sdp":"v=0"}`,
		`{"callId":"` + id + `","sdp":"x"}`,
		`{"callId":"` + id + `","candidate":{"candidate":"c","sdpMid":"0"}}`,
		`{"callId":"` + id + `","candidate":{"a":1,"a":2}}`,
		`{"callId":"` + id + `"}`,
		`{"callId":"` + id + `","x":1}`,
		"{\"callId\":\"" + id + "\",\"sdp\":\"\xff\"}",
		`null`, `[]`, ``,
	} {
		f.Add(uint8(i), []byte(s))
	}
	events := []string{EventCallInvite, EventCallAnswer, EventCallICE, EventCallHangup}
	f.Fuzz(func(t *testing.T, e uint8, data []byte) {
		event := events[int(e)%len(events)]
		c, perr := DecodeCall(event, data)
		if perr != nil {
			if perr.Code != CodeBadRequest || perr.Message == "" {
				t.Fatalf("DecodeCall(%s, %q): %v", event, data, perr)
			}
			return
		}
		if !json.Valid(data) {
			t.Fatalf("DecodeCall accepted %q, which encoding/json refuses", data)
		}
		if u, err := uuid.Parse(c.CallID); err != nil || u.String() != c.CallID {
			t.Fatalf("callId %q not canonical", c.CallID)
		}
		switch event {
		case EventCallInvite:
			if c.RoomID == "" || (c.Media != "audio" && c.Media != "video") || c.SDP == "" {
				t.Fatalf("invite %+v", c)
			}
		case EventCallAnswer:
			if c.SDP == "" {
				t.Fatalf("answer %+v", c)
			}
		case EventCallICE:
			var d struct{ Candidate json.RawMessage }
			_ = json.Unmarshal(data, &d)
			if !json.Valid(c.Candidate) || string(c.Candidate) != string(d.Candidate) || string(c.Candidate) == "null" {
				t.Fatalf("candidate %q, sent %q", c.Candidate, d.Candidate)
			}
		}
	})
}
