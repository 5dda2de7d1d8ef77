package streamcmd

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// The fuzz targets check the decoders of the command link, whose entries
// a compromised or buggy gateway could fill with anything: a command or
// reply read from a stream entry survives a write and a read unchanged,
// the decoders never accept what encoding/json refuses, and the decoded
// command data re-encodes to itself. `go tool task fuzz` runs them briefly.

// asRead turns XADD values into what go-redis hands back: strings.
func asRead(values []any) map[string]any {
	m := make(map[string]any, len(values)/2)
	for i := 0; i+1 < len(values); i += 2 {
		switch v := values[i+1].(type) {
		case []byte:
			m[values[i].(string)] = string(v)
		default:
			m[values[i].(string)] = v
		}
	}
	return m
}

func FuzzParseCommand(f *testing.F) {
	f.Add("c1", "send-message", "u1", "s1", "chat:replies:g1", "1", []byte(`{"roomId":"r","content":"hi"}`))
	f.Add("", "join-room", "u", "", "r", "z", []byte(`{"roomId":"r","lastSeq":3,"limit":100}`))
	f.Add("x", "", "", "", "", "", []byte(nil))
	f.Add("x", "mark-read", "u", "s", "r", "ref", []byte("\xff\x00"))
	f.Fuzz(func(t *testing.T, id, typ, user, session, reply, ref string, data []byte) {
		values := map[string]any{"id": id, "type": typ, "user": user, "session": session, "reply": reply, "ref": ref, "data": string(data)}
		c, err := ParseCommand(values)
		if err != nil {
			if typ != "" && user != "" && reply != "" && ref != "" {
				t.Fatalf("complete command refused: %v", err)
			}
			return
		}
		if c.Type == "" || c.UserID == "" || c.Reply == "" || c.Ref == "" {
			t.Fatalf("incomplete command accepted: %+v", c)
		}
		again, err := ParseCommand(asRead(c.Values()))
		if err != nil || !reflect.DeepEqual(normCmd(again), normCmd(c)) {
			t.Fatalf("round trip: %+v, then %+v (%v)", c, again, err)
		}
	})
}

func normCmd(c Command) Command {
	if len(c.Data) == 0 {
		c.Data = nil
	}
	return c
}

func FuzzParseReply(f *testing.F) {
	f.Add("1", "1", []byte(`{"id":"m","roomId":"r","seq":1,"timestamp":"2026-01-01T00:00:00.000Z"}`))
	f.Add("2", "0", []byte(`{"code":"unavailable","message":"try again"}`))
	f.Add("3", "0", []byte(`{"code":""}`))
	f.Add("4", "0", []byte(`not json`))
	f.Add("", "1", []byte(nil))
	f.Fuzz(func(t *testing.T, ref, ok string, data []byte) {
		r, err := ParseReply(map[string]any{"ref": ref, "ok": ok, "data": string(data)})
		if (err != nil) != (ref == "") {
			t.Fatalf("ParseReply(ref %q): %v", ref, err)
		}
		if err != nil {
			return
		}
		if r.OK != (ok == "1") {
			t.Fatalf("ok %q read as %v", ok, r.OK)
		}
		again, err := ParseReply(asRead(r.Values()))
		if err != nil || again.Ref != r.Ref || again.OK != r.OK || !bytes.Equal(again.Data, r.Data) {
			t.Fatalf("round trip: %+v, then %+v (%v)", r, again, err)
		}
		// A failed reply always yields a code the gateway can pass on,
		// and only a well-formed error document yields its own.
		if e := r.Err(); r.OK != (e == nil) {
			t.Fatalf("Err of ok=%v reply: %v", r.OK, e)
		} else if e != nil {
			if e.Code == "" {
				t.Fatalf("reply %q: error without code", data)
			}
			var ref Error
			if json.Unmarshal(data, &ref) != nil || ref.Code == "" {
				if *e != *errMalformedReply() {
					t.Fatalf("malformed error reply %q read as %+v", data, e)
				}
			}
		}
	})
}

func errMalformedReply() *Error { return &Error{Code: CodeInternal, Message: "malformed error reply"} }

func FuzzCommandData(f *testing.F) {
	f.Add(true, []byte(`{"roomId":"r","lastSeq":3,"limit":100}`))
	f.Add(true, []byte(`{"roomId":"r"}`))
	f.Add(false, []byte(`{"roomId":"r","seq":9}`))
	f.Add(false, []byte(`{"roomId":"r","seq":1e400}`))
	f.Add(true, []byte(`{"lastSeq":"x"}`))
	f.Add(false, []byte(`[`))
	f.Fuzz(func(t *testing.T, join bool, data []byte) {
		var dst any = &MarkReadData{}
		if join {
			dst = &JoinRoomData{}
		}
		err := decode(data, dst)
		if err != nil {
			var e *Error
			if !asError(err, &e) || e.Code != CodeBadRequest {
				t.Fatalf("decode(%q): %v, want a bad_request *Error", data, err)
			}
			return
		}
		if !json.Valid(data) {
			t.Fatalf("decode accepted %q, which encoding/json refuses", data)
		}
		b, err := json.Marshal(dst)
		if err != nil {
			t.Fatalf("re-encode %+v: %v", dst, err)
		}
		back := reflect.New(reflect.TypeOf(dst).Elem()).Interface()
		if err := decode(b, back); err != nil || !reflect.DeepEqual(back, dst) {
			t.Fatalf("round trip of %q: %+v, then %s -> %+v (%v)", data, dst, b, back, err)
		}
	})
}

func asError(err error, target **Error) bool {
	e, ok := err.(*Error)
	*target = e
	return ok
}
