package protocol

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestDecodeStrict: what encoding/json would repair or resolve quietly is
// refused with bad_request, saying what was wrong; the ref is echoed when
// it is clean.
func TestDecodeStrict(t *testing.T) {
	t.Parallel()
	const room = `"roomId":"0b6a1c2e-3d4f-4a5b-8c7d-9e0f1a2b3c4d"`
	tests := []struct {
		name, frame, ref, message string
	}{
		{"invalid UTF-8 in content", "{\"event\":\"send-message\",\"ref\":\"1\",\"data\":{\"content\":\"a\xffb\"}}", `"1"`, "not valid UTF-8"},
		{"invalid UTF-8 in ref", "{\"event\":\"send-message\",\"ref\":\"\xff\",\"data\":{\"content\":\"x\"}}", ``, "not valid UTF-8"},
		{"lone surrogate", `{"event":"send-message","ref":"2","data":{"content":"\ud800"}}`, `"2"`, `lone UTF-16 surrogate \ud800`},
		{"lone low surrogate", `{"event":"send-message","ref":3,"data":{"content":"x\udc00"}}`, `3`, `lone UTF-16 surrogate \udc00`},
		{"duplicate data key", `{"event":"send-message","ref":"4","data":{"content":"a","content":"b"}}`, `"4"`, `duplicate key "content"`},
		{"duplicate envelope key", `{"event":"send-message","ref":"5","data":{"content":"a"},"data":{"content":"b"}}`, `"5"`, `duplicate key "data"`},
		{"duplicate event", `{"event":"typing-start","event":"send-message","ref":"6"}`, `"6"`, `duplicate key "event"`},
		{"duplicate key in case", `{"event":"join-room","ref":"7","data":{` + room + `,"ROOMID":"x"}}`, `"7"`, `duplicate key "ROOMID"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env, perr := Decode([]byte(tt.frame))
			if perr == nil || perr.Code != CodeBadRequest || !strings.Contains(perr.Message, tt.message) {
				t.Fatalf("Decode = %v, want bad_request with %q", perr, tt.message)
			}
			if string(env.Ref) != tt.ref {
				t.Errorf("ref = %s, want %s", env.Ref, tt.ref)
			}
			if !json.Valid(ErrorFrame(env.Ref, perr)) {
				t.Errorf("error frame is not valid JSON")
			}
		})
	}
	// A proper surrogate pair and literal non-ASCII are fine.
	if _, perr := Decode([]byte(`{"event":"send-message","data":{"content":"\ud83c\udf89 héllo"}}`)); perr != nil {
		t.Errorf("a surrogate pair: %v", perr)
	}
}

// TestDecodeDataUnknownFields: each event's data takes its own fields and
// no others, as REST does; names match ignoring case, like encoding/json.
func TestDecodeDataUnknownFields(t *testing.T) {
	t.Parallel()
	const room = `"roomId":"0b6a1c2e-3d4f-4a5b-8c7d-9e0f1a2b3c4d"`
	decoders := map[string]func(json.RawMessage) *Error{
		EventJoinRoom:    func(d json.RawMessage) *Error { _, e := DecodeJoinRoom(d); return e },
		EventLeaveRoom:   func(d json.RawMessage) *Error { _, e := DecodeLeaveRoom(d); return e },
		EventSendMessage: func(d json.RawMessage) *Error { _, e := DecodeSendMessage(d); return e },
		EventTypingStart: func(d json.RawMessage) *Error { _, e := DecodeTyping(d); return e },
		EventMarkRead:    func(d json.RawMessage) *Error { _, e := DecodeMarkRead(d); return e },
	}
	tests := []struct {
		event, data, unknown string // unknown "" = accepted
	}{
		{EventSendMessage, `{"content":"hi","clientMsgId":"c1",` + room + `}`, ""},
		{EventSendMessage, `{"CONTENT":"hi"}`, ""},
		{EventSendMessage, `{"content":"hi","conent":"typo"}`, "conent"},
		{EventSendMessage, `{"content":"hi","seq":3}`, "seq"},
		{EventSendMessage, `{"content":"hi","extra":null}`, "extra"},
		{EventSendMessage, `{"content":"hi","\u0078":1}`, "x"},
		{EventJoinRoom, `{` + room + `,"lastSeq":2}`, ""},
		{EventJoinRoom, `{` + room + `,"content":"x"}`, "content"},
		{EventLeaveRoom, `{` + room + `,"lastSeq":2}`, "lastSeq"},
		{EventTypingStart, `{` + room + `,"typing":true}`, "typing"},
		{EventMarkRead, `{` + room + `,"seq":2}`, ""},
		{EventMarkRead, `{` + room + `,"seq":2,"lastSeq":1}`, "lastSeq"},
	}
	for _, tt := range tests {
		perr := decoders[tt.event](json.RawMessage(tt.data))
		if tt.unknown == "" {
			if perr != nil {
				t.Errorf("%s %s: %v", tt.event, tt.data, perr)
			}
			continue
		}
		want := "data." + tt.unknown + " is not a field of " + tt.event
		if perr == nil || perr.Code != CodeBadRequest || !strings.Contains(perr.Message, "data."+tt.unknown+" is not a field") {
			t.Errorf("%s %s: %v, want bad_request %q", tt.event, tt.data, perr, want)
		}
	}
	// The data decoders check by themselves (they also serve other
	// envelopes): bad strings and repeated keys in data alone.
	if _, perr := DecodeSendMessage(json.RawMessage(`{"content":"a","content":"b"}`)); perr == nil || !strings.Contains(perr.Message, "duplicate key") {
		t.Errorf("duplicate key in data: %v", perr)
	}
	if _, perr := DecodeSendMessage(json.RawMessage(`{"content":"\ud800"}`)); perr == nil || !strings.Contains(perr.Message, "surrogate") {
		t.Errorf("lone surrogate in data: %v", perr)
	}
}

// FuzzDecodeStrict: no frame makes the decoders panic; every refusal is an
// error frame that is valid JSON and valid UTF-8; what is accepted as
// send-message content is exactly what the frame spelled.
func FuzzDecodeStrict(f *testing.F) {
	for _, seed := range []string{
		`{"event":"send-message","ref":"1742","data":{"roomId":"0b6a1c2e-3d4f-4a5b-8c7d-9e0f1a2b3c4d","content":"hello","clientMsgId":"c-1742"}}`,
		`{"event":"join-room","ref":1,"data":{"roomId":"0b6a1c2e-3d4f-4a5b-8c7d-9e0f1a2b3c4d","lastSeq":5}}`,
		`{"event":"mark-read","data":{"roomId":"0b6a1c2e-3d4f-4a5b-8c7d-9e0f1a2b3c4d","seq":5}}`,
		`{"event":"typing-start"}`,
		`{"event":"leave-room","data":{"roomId":"x"}}`,
		`{"event":"send-message","data":{"content":"\ud800"}}`,
		"{\"event\":\"send-message\",\"ref\":\"\xff\",\"data\":{\"content\":\"x\"}}",
		`{"event":"send-message","data":{"content":"a","content":"b"}}`,
		`{"event":"send-message","data":{"content":"a","extra":1}}`,
		`{"event":"send-message","data":[1]}`,
		`{"event":"explode"}`,
		`[]`, `{`, `null`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		env, perr := Decode(frame)
		if perr == nil {
			switch env.Event {
			case EventSendMessage:
				var m SendMessage
				m, perr = DecodeSendMessage(env.Data)
				if perr == nil && strings.ContainsRune(m.Content, '\uFFFD') &&
					!strings.Contains(string(frame), "\uFFFD") && !strings.Contains(strings.ToLower(string(frame)), `\ufffd`) {
					t.Fatalf("content %q of %q was repaired", m.Content, frame)
				}
			case EventJoinRoom:
				_, perr = DecodeJoinRoom(env.Data)
			case EventLeaveRoom:
				_, perr = DecodeLeaveRoom(env.Data)
			case EventTypingStart, EventTypingStop:
				_, perr = DecodeTyping(env.Data)
			case EventMarkRead:
				_, perr = DecodeMarkRead(env.Data)
			}
		}
		if perr != nil {
			out := ErrorFrame(env.Ref, perr)
			if !json.Valid(out) || !strings.Contains(string(out), `"code"`) {
				t.Fatalf("error frame %q for %q", out, frame)
			}
			if !utf8.Valid(out) {
				t.Fatalf("error frame %q is not valid UTF-8", out)
			}
		}
	})
}
