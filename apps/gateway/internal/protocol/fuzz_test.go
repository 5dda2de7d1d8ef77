package protocol

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"testing"
	"unicode/utf8"

	"github.com/google/uuid"
)

// The fuzz targets check properties of the decoders of untrusted frames,
// not only the absence of panics: what they accept is valid JSON (the
// reference decoder, encoding/json, agrees), has the documented shape, and
// decodes again to the same value once re-encoded. `go tool task fuzz`
// runs them briefly; plain `go test` runs the seeds (f.Add and
// testdata/fuzz/<target>).

var envelopeSeeds = []string{
	`{"event":"send-message","ref":"17","data":{"content":"hi"}}`,
	`{"event":"join-room","ref":3,"data":{"roomId":"00000000-0000-0000-0000-000000000001","lastSeq":0}}`,
	`{"event":"typing-start"}`,
	`{"event":"mark-read","ref":null,"data":null}`,
	`{"event":"leave-room","ref":-1.5e3,"data":{}}`,
	`{"event":"nope"}`,
	`{"event":"send-message","ref":{"a":1}}`,
	`{"event":"send-message","data":[1]}`,
	`{"event":1}`,
	`[]`,
	`{"event":"send-message","event":"join-room"}`,
	`{"event":"send-message","ref":"` + string(bytes.Repeat([]byte("r"), 70)) + `"}`,
	"{\"event\":\"send-message\",\"data\":{\"content\":\"\xff\"}}",
	`{"event":"send-message","data":{"content":"\ud800"}}`,
	``,
	`null`,
}

func FuzzDecode(f *testing.F) {
	for _, s := range envelopeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		env, perr := Decode(frame)
		if perr != nil {
			if perr.Code != CodeBadRequest && perr.Code != CodeUnknownEvent {
				t.Fatalf("Decode(%q): code %q, want bad_request or unknown_event", frame, perr.Code)
			}
			if perr.Message == "" {
				t.Fatalf("Decode(%q): error without a message", frame)
			}
			return
		}
		if !json.Valid(frame) {
			t.Fatalf("Decode accepted %q, which encoding/json refuses", frame)
		}
		if !KnownEvent(env.Event) {
			t.Fatalf("Decode(%q) accepted unknown event %q", frame, env.Event)
		}
		if len(env.Ref) > 0 {
			if len(env.Ref) > maxRefBytes || !json.Valid(env.Ref) {
				t.Fatalf("Decode(%q): ref %q", frame, env.Ref)
			}
			var v any
			dec := json.NewDecoder(bytes.NewReader(env.Ref))
			dec.UseNumber() // 1e999 is a number, if not a float64
			_ = dec.Decode(&v)
			switch v.(type) {
			case string, json.Number:
			default:
				t.Fatalf("Decode(%q): ref %s is neither a string nor a number", frame, env.Ref)
			}
		}
		if len(env.Data) > 0 && !isNull(env.Data) {
			var m map[string]any
			if err := json.Unmarshal(env.Data, &m); err != nil {
				t.Fatalf("Decode(%q): data %q is not an object: %v", frame, env.Data, err)
			}
		}
		// Round trip: the same envelope written back decodes to itself.
		again, perr := Decode(rebuild(env))
		if perr != nil {
			t.Fatalf("re-encoded %q refused: %v", rebuild(env), perr)
		}
		if again.Event != env.Event || !bytes.Equal(again.Ref, env.Ref) || !bytes.Equal(again.Data, env.Data) {
			t.Fatalf("round trip of %q: %+v, then %+v", frame, env, again)
		}
	})
}

// rebuild writes an accepted envelope back as a frame; ref and data go
// verbatim (they are raw JSON the decoder kept as is).
func rebuild(env Envelope) []byte {
	ev, _ := json.Marshal(env.Event)
	b := append([]byte(`{"event":`), ev...)
	if len(env.Ref) > 0 {
		b = append(append(b, `,"ref":`...), env.Ref...)
	}
	if len(env.Data) > 0 {
		b = append(append(b, `,"data":`...), env.Data...)
	}
	return append(b, '}')
}

var dataSeeds = []string{
	`{"roomId":"00000000-0000-0000-0000-000000000001","lastSeq":5}`,
	`{"roomId":"0190A3C4-1111-7ABC-8DEF-0123456789AB","content":"hello","clientMsgId":"c-1"}`,
	`{"roomId":"{0190a3c4-1111-7abc-8def-0123456789ab}"}`,
	`{"roomId":"urn:uuid:0190a3c4-1111-7abc-8def-01234567"}`,
	`{"roomId":"0190a3c4-1111-7abc-8def-0123456789ab","seq":1}`,
	`{"roomId":"0190a3c4-1111-7abc-8def-0123456789ab","seq":0}`,
	`{"roomId":"0190a3c4-1111-7abc-8def-0123456789ab","lastSeq":-1}`,
	`{"roomId":"0190a3c4-1111-7abc-8def-0123456789ab","lastSeq":1.5}`,
	`{"content":"","clientMsgId":""}`,
	`{"content":"x","clientMsgId":"` + string(bytes.Repeat([]byte("é"), 65)) + `"}`,
	`{"content":7}`,
	`{"unknown":true,"content":"x"}`,
	`null`,
	``,
	`[]`,
}

func FuzzDecodeData(f *testing.F) {
	for i, s := range dataSeeds {
		f.Add(uint8(i), []byte(s))
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		raw := json.RawMessage(data)
		var (
			ok   bool
			perr *Error
			back []byte // the accepted value re-encoded as data
			same func([]byte) bool
		)
		switch which % 5 {
		case 0:
			var v JoinRoom
			if v, perr = DecodeJoinRoom(raw); perr == nil {
				ok = true
				checkRoom(t, v.RoomID, "")
				if v.LastSeq != nil && *v.LastSeq < 0 {
					t.Fatalf("join-room %q: lastSeq %d", data, *v.LastSeq)
				}
				back = dataJSON(map[string]any{"roomId": v.RoomID, "lastSeq": v.LastSeq})
				same = func(b []byte) bool {
					w, e := DecodeJoinRoom(b)
					return e == nil && w.RoomID == v.RoomID && eqSeq(w.LastSeq, v.LastSeq)
				}
			}
		case 1:
			var v LeaveRoom
			if v, perr = DecodeLeaveRoom(raw); perr == nil {
				ok = true
				checkRoom(t, v.RoomID, "")
				back = dataJSON(map[string]any{"roomId": v.RoomID})
				same = func(b []byte) bool { w, e := DecodeLeaveRoom(b); return e == nil && w == v }
			}
		case 2:
			var v SendMessage
			if v, perr = DecodeSendMessage(raw); perr == nil {
				ok = true
				checkRoom(t, v.RoomID, GlobalRoomID)
				if v.Content == "" {
					t.Fatalf("send-message %q: empty content accepted", data)
				}
				if n := utf8.RuneCountInString(v.ClientMsgID); n > MaxClientMsgIDLength {
					t.Fatalf("send-message %q: clientMsgId of %d characters", data, n)
				}
				m := map[string]any{"roomId": v.RoomID, "content": v.Content}
				if v.ClientMsgID != "" {
					m["clientMsgId"] = v.ClientMsgID
				}
				if v.ReplyTo != "" {
					m["replyTo"] = v.ReplyTo
				}
				if v.AttachmentIDs != nil {
					m["attachmentIds"] = v.AttachmentIDs
				}
				back = dataJSON(m)
				same = func(b []byte) bool { w, e := DecodeSendMessage(b); return e == nil && reflect.DeepEqual(w, v) }
			}
		case 3:
			var v Typing
			if v, perr = DecodeTyping(raw); perr == nil {
				ok = true
				checkRoom(t, v.RoomID, GlobalRoomID)
				back = dataJSON(map[string]any{"roomId": v.RoomID})
				same = func(b []byte) bool { w, e := DecodeTyping(b); return e == nil && w == v }
			}
		default:
			var v MarkRead
			if v, perr = DecodeMarkRead(raw); perr == nil {
				ok = true
				checkRoom(t, v.RoomID, "")
				if v.Seq < 1 {
					t.Fatalf("mark-read %q: seq %d", data, v.Seq)
				}
				back = dataJSON(map[string]any{"roomId": v.RoomID, "seq": v.Seq})
				same = func(b []byte) bool { w, e := DecodeMarkRead(b); return e == nil && w == v }
			}
		}
		if !ok {
			if perr.Code != CodeBadRequest || perr.Message == "" {
				t.Fatalf("decoder %d on %q: %+v, want bad_request with a message", which%5, data, perr)
			}
			return
		}
		if len(data) > 0 && string(data) != "null" {
			var m map[string]any
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatalf("decoder %d accepted %q, which encoding/json refuses as an object: %v", which%5, data, err)
			}
		}
		if !same(back) {
			t.Fatalf("decoder %d: %q re-encoded as %s decodes differently", which%5, data, back)
		}
	})
}

// checkRoom fails unless id is a canonical lowercase UUID (the key rooms
// have everywhere) or def.
func checkRoom(t *testing.T, id, def string) {
	t.Helper()
	if def != "" && id == def {
		return
	}
	u, err := uuid.Parse(id)
	if err != nil || u.String() != id {
		t.Fatalf("room id %q accepted, not a canonical UUID", id)
	}
}

func dataJSON(m map[string]any) []byte {
	for k, v := range m {
		if p, ok := v.(*int64); ok {
			if p == nil {
				delete(m, k)
			} else {
				m[k] = json.RawMessage(strconv.FormatInt(*p, 10))
			}
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(m)
	return bytes.TrimSpace(buf.Bytes())
}

func eqSeq(a, b *int64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
