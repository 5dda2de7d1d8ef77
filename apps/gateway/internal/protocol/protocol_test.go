package protocol

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestDecodeEnvelope(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		frame   string
		code    Code // "" = ok
		event   string
		ref     string // raw JSON echoed
		message string // substring of the error message
	}{
		{name: "full", frame: `{"event":"send-message","ref":"17","data":{"content":"hi"}}`, event: "send-message", ref: `"17"`},
		{name: "numeric ref", frame: `{"event":"leave-room","ref":17,"data":{}}`, event: "leave-room", ref: `17`},
		{name: "no ref no data", frame: `{"event":"typing-start"}`, event: "typing-start"},
		{name: "null ref", frame: `{"event":"typing-start","ref":null}`, event: "typing-start"},
		{name: "unknown fields ignored", frame: `{"event":"typing-stop","x":1}`, event: "typing-stop"},
		{name: "not json", frame: `hello`, code: CodeBadRequest, message: "not valid JSON"},
		{name: "truncated", frame: `{"event":"join-room"`, code: CodeBadRequest, message: "not valid JSON"},
		{name: "array", frame: `[1,2]`, code: CodeBadRequest, message: "JSON object"},
		{name: "string", frame: `"x"`, code: CodeBadRequest, message: "JSON object"},
		{name: "event not string", frame: `{"event":5}`, code: CodeBadRequest, message: "event"},
		{name: "missing event", frame: `{"ref":"1","data":{}}`, code: CodeBadRequest, ref: `"1"`, message: "event is required"},
		{name: "object ref", frame: `{"event":"join-room","ref":{}}`, code: CodeBadRequest, message: "ref must be"},
		{name: "long ref", frame: `{"event":"join-room","ref":"` + strings.Repeat("a", 70) + `"}`, code: CodeBadRequest, message: "64"},
		{name: "data not object", frame: `{"event":"join-room","ref":"2","data":[1]}`, code: CodeBadRequest, ref: `"2"`, message: "data must be an object"},
		{name: "unknown event", frame: `{"event":"explode","ref":"3"}`, code: CodeUnknownEvent, ref: `"3"`, message: `"explode"`},
		{name: "server event from client", frame: `{"event":"ready"}`, code: CodeUnknownEvent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env, perr := Decode([]byte(tt.frame))
			if tt.code == "" {
				if perr != nil {
					t.Fatalf("Decode: %v", perr)
				}
				if env.Event != tt.event {
					t.Errorf("event = %q, want %q", env.Event, tt.event)
				}
			} else {
				if perr == nil || perr.Code != tt.code {
					t.Fatalf("Decode error = %v, want code %s", perr, tt.code)
				}
				if !strings.Contains(perr.Message, tt.message) {
					t.Errorf("message %q does not contain %q", perr.Message, tt.message)
				}
			}
			if string(env.Ref) != tt.ref {
				t.Errorf("ref = %s, want %s", env.Ref, tt.ref)
			}
		})
	}
}

func TestDecodeData(t *testing.T) {
	t.Parallel()
	const room = "0b6a1c2e-3d4f-4a5b-8c7d-9e0f1a2b3c4d"
	check := func(t *testing.T, perr *Error, want string) {
		t.Helper()
		if want == "" {
			if perr != nil {
				t.Fatalf("unexpected error %v", perr)
			}
			return
		}
		if perr == nil || perr.Code != CodeBadRequest || !strings.Contains(perr.Message, want) {
			t.Fatalf("error = %v, want bad_request containing %q", perr, want)
		}
	}
	t.Run("join", func(t *testing.T) {
		j, perr := DecodeJoinRoom(json.RawMessage(`{"roomId":"` + strings.ToUpper(room) + `","lastSeq":4}`))
		check(t, perr, "")
		if j.RoomID != room || j.LastSeq == nil || *j.LastSeq != 4 {
			t.Errorf("got %+v", j)
		}
		_, perr = DecodeJoinRoom(nil)
		check(t, perr, "data.roomId is required")
		_, perr = DecodeJoinRoom(json.RawMessage(`{"roomId":"nope"}`))
		check(t, perr, "UUID")
		_, perr = DecodeJoinRoom(json.RawMessage(`{"roomId":"` + room + `","lastSeq":-1}`))
		check(t, perr, ">= 0")
		_, perr = DecodeJoinRoom(json.RawMessage(`{"roomId":"` + room + `","lastSeq":1.5}`))
		check(t, perr, "data.lastSeq must be an integer")
		_, perr = DecodeJoinRoom(json.RawMessage(`{"roomId":7}`))
		check(t, perr, "data.roomId must be a string")
	})
	t.Run("send", func(t *testing.T) {
		m, perr := DecodeSendMessage(json.RawMessage(`{"content":"hi","clientMsgId":"c1"}`))
		check(t, perr, "")
		if m.RoomID != GlobalRoomID || m.Content != "hi" || m.ClientMsgID != "c1" {
			t.Errorf("got %+v", m)
		}
		_, perr = DecodeSendMessage(json.RawMessage(`{"roomId":"` + room + `"}`))
		check(t, perr, "data.content is required")
		_, perr = DecodeSendMessage(json.RawMessage(`{"content":""}`))
		check(t, perr, "data.content is required")
		_, perr = DecodeSendMessage(json.RawMessage(`{"content":"x","clientMsgId":""}`))
		check(t, perr, "clientMsgId")
		_, perr = DecodeSendMessage(json.RawMessage(`{"content":"x","clientMsgId":"` + strings.Repeat("é", 65) + `"}`))
		check(t, perr, "clientMsgId")
		_, perr = DecodeSendMessage(json.RawMessage(`{"content":["x"]}`))
		check(t, perr, "data.content must be a string")
	})
	t.Run("send with attachments", func(t *testing.T) {
		// Content may be left out or empty when attachmentIds names some.
		m, perr := DecodeSendMessage(json.RawMessage(`{"attachmentIds":["a","b"]}`))
		check(t, perr, "")
		if m.Content != "" || len(m.AttachmentIDs) != 2 || m.AttachmentIDs[1] != "b" {
			t.Errorf("got %+v", m)
		}
		m, perr = DecodeSendMessage(json.RawMessage(`{"content":"","AttachmentIds":["a"]}`))
		check(t, perr, "")
		if len(m.AttachmentIDs) != 1 {
			t.Errorf("got %+v", m)
		}
		_, perr = DecodeSendMessage(json.RawMessage(`{"attachmentIds":[]}`))
		check(t, perr, "data.content is required")
		_, perr = DecodeSendMessage(json.RawMessage(`{"attachmentIds":"a"}`))
		check(t, perr, "data.attachmentIds must be an array of strings")
		_, perr = DecodeSendMessage(json.RawMessage(`{"attachmentIds":[1]}`))
		check(t, perr, "data.attachmentIds must be an array of strings")
		_, perr = DecodeSendMessage(json.RawMessage(`{"content":"x","attachmentIds":["1","2","3","4","5","6","7","8","9","10","11"]}`))
		check(t, perr, "at most 10")
	})
	t.Run("mark-read", func(t *testing.T) {
		m, perr := DecodeMarkRead(json.RawMessage(`{"roomId":"` + room + `","seq":3}`))
		check(t, perr, "")
		if m.Seq != 3 {
			t.Errorf("got %+v", m)
		}
		_, perr = DecodeMarkRead(json.RawMessage(`{"roomId":"` + room + `"}`))
		check(t, perr, "data.seq is required")
		_, perr = DecodeMarkRead(json.RawMessage(`{"roomId":"` + room + `","seq":0}`))
		check(t, perr, ">= 1")
	})
	t.Run("typing and leave", func(t *testing.T) {
		ty, perr := DecodeTyping(nil)
		check(t, perr, "")
		if ty.RoomID != GlobalRoomID {
			t.Errorf("typing room = %q", ty.RoomID)
		}
		_, perr = DecodeLeaveRoom(json.RawMessage(`{}`))
		check(t, perr, "data.roomId is required")
	})
}

func TestErrorTable(t *testing.T) {
	t.Parallel()
	strikes := map[Code]bool{
		CodeBadRequest: true, CodeUnknownEvent: true, CodeTooLarge: true, CodeRateLimited: false,
		CodeNotFound: false, CodeForbidden: false, CodeUnavailable: false, CodeInternal: false,
	}
	for code, want := range strikes {
		if code.Strike() != want {
			t.Errorf("%s.Strike() = %v, want %v", code, !want, want)
		}
	}
}

func TestFrames(t *testing.T) {
	t.Parallel()
	frames := map[string][]byte{
		"ack":      Ack(json.RawMessage(`"7"`), []byte(`{"roomId":"r"}`)),
		"error":    ErrorFrame(nil, NewError(CodeForbidden, `join "first"`)),
		"ready":    Ready("u", "s", "c"),
		"typing":   TypingFrame(EventTypingStart, "u\n", "r"),
		"read":     MessageRead("r", "u", 9),
		"presence": Presence("u", false, time.Date(2024, 1, 2, 3, 4, 5, 6e6, time.FixedZone("x", 3600))),
		"message":  ReceiveMessage([]byte(`{"id":"m","seq":1}`)),
	}
	for name, f := range frames {
		var v struct {
			Event string          `json:"event"`
			Ref   json.RawMessage `json:"ref"`
			Data  map[string]any  `json:"data"`
		}
		if err := json.Unmarshal(f, &v); err != nil {
			t.Fatalf("%s frame %s is not JSON: %v", name, f, err)
		}
		if v.Event == "" || v.Data == nil {
			t.Errorf("%s frame %s lacks event or data", name, f)
		}
	}
	if got := string(frames["presence"]); !strings.Contains(got, `"lastSeen":"2024-01-02T02:04:05.006Z"`) {
		t.Errorf("presence frame %s: lastSeen not RFC 3339 ms UTC", got)
	}
	if got := string(frames["ack"]); got != `{"event":"ack","ref":"7","data":{"roomId":"r"}}` {
		t.Errorf("ack frame = %s", got)
	}
}

func BenchmarkDecodeSendMessage(b *testing.B) {
	frame := []byte(`{"event":"send-message","ref":"1742","data":{"roomId":"0b6a1c2e-3d4f-4a5b-8c7d-9e0f1a2b3c4d","content":"hello there, how is it going?","clientMsgId":"c-1742"}}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		env, perr := Decode(frame)
		if perr != nil {
			b.Fatal(perr)
		}
		if _, perr := DecodeSendMessage(env.Data); perr != nil {
			b.Fatal(perr)
		}
	}
}

func BenchmarkDecodeBadFrame(b *testing.B) {
	frame := []byte(`{"event":"send-message","ref":"1742","data":{"roomId":`)
	b.ReportAllocs()
	for b.Loop() {
		if _, perr := Decode(frame); perr == nil {
			b.Fatal("want error")
		}
	}
}
