package protocol

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzServerFrames checks the hand-built server frames, which carry
// client-chosen pieces (the ref, ids, event names): whatever the input,
// the frame is valid JSON, and it reads back as what was put in (for
// valid UTF-8; encoding/json reads other bytes as U+FFFD).
func FuzzServerFrames(f *testing.F) {
	f.Add([]byte(`{"event":"send-message","ref":"r\"1\\","data":{"content":"x"}}`), "user-1", "room\n\"1\"")
	f.Add([]byte(`{"event":"join-room","ref":-12.5e3}`), "\x00\x1f\x7f", "\u2028")
	f.Add([]byte(`{"event":"typing-start","ref":null}`), "\xff", "é")
	f.Fuzz(func(t *testing.T, frame []byte, user, room string) {
		env, _ := Decode(frame) // the ref it keeps, accepted or not, is echoed
		var got struct {
			Event string          `json:"event"`
			Ref   json.RawMessage `json:"ref"`
			Data  struct {
				UserID string `json:"userId"`
				RoomID string `json:"roomId"`
				Code   string `json:"code"`
			} `json:"data"`
		}
		for _, b := range [][]byte{
			ErrorFrame(env.Ref, NewError(CodeBadRequest, user)),
			Ack(env.Ref, []byte(`{}`)),
			TypingFrame(EventTypingStart, user, room),
			Ready(user, room, "c"),
		} {
			if !json.Valid(b) {
				t.Fatalf("invalid JSON frame %q", b)
			}
			got.Ref = nil
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("frame %q: %v", b, err)
			}
			if string(got.Ref) != string(env.Ref) {
				if got.Event == EventError || got.Event == EventAck {
					t.Fatalf("frame %q echoes ref %s, want %s", b, got.Ref, env.Ref)
				}
			}
		}
		if utf8.ValidString(user) && utf8.ValidString(room) {
			_ = json.Unmarshal(TypingFrame(EventTypingStart, user, room), &got)
			if got.Data.UserID != user || got.Data.RoomID != room || got.Event != EventTypingStart {
				t.Fatalf("typing frame of %q, %q read back as %+v", user, room, got)
			}
		}
	})
}
