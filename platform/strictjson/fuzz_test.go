package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"
	"unicode/utf8"
)

// FuzzCheck compares Check with what encoding/json itself sees: on any
// valid JSON text, Check must refuse invalid UTF-8 (for that reason or for
// another problem found first) and must report a
// duplicate key exactly when a token-by-token walk finds two keys of one
// object that fold to the same name. It must never panic, and its offsets
// must lie inside the input.
func FuzzCheck(f *testing.F) {
	for _, seed := range []string{
		`{"event":"send-message","ref":"17","data":{"roomId":"0b6a1c2e-3d4f-4a5b-8c7d-9e0f1a2b3c4d","content":"hi","clientMsgId":"c1"}}`,
		`{"content":"a","content":"b"}`,
		`{"seq":1,"SEQ":2}`,
		`{"roomId":"a","\u0072oomId":"b"}`,
		`{"content":"\ud800"}`,
		`{"content":"\ud83c\udf89"}`,
		`{"content":"\udc00\ud800"}`,
		"{\"content\":\"\xff\"}",
		"{\"content\":\"\xed\xa0\x80\"}",
		`[{"a":1},{"a":{"a":[{"a":1,"b":2}]}}]`,
		`{"a":["a","a"],"b":"a","c":{"a":1}}`,
		`{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"K3":3}`,
		`{"a":"\\u0041","b":"\"","c\\"":1}`,
		"{\"\u017feq\":1,\"seq\":2}",
		`{"a`,
		`"\ud800`,
		`}}]]{"a":1,"a":2`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := Check(data)
		var e *Error
		if err != nil {
			if !errors.As(err, &e) || e.Offset < 0 || e.Offset >= len(data) {
				t.Fatalf("Check(%q) = %#v: not an *Error inside the input", data, err)
			}
		}
		if !json.Valid(data) {
			return
		}
		if !utf8.Valid(data) && e == nil {
			t.Fatalf("Check(%q) = %v on invalid UTF-8", data, err)
		}
		if e != nil && e.Kind != DuplicateKey {
			return // the walk below cannot see the duplicates past a bad string
		}
		dup, werr := walkDuplicates(data)
		if werr != nil {
			t.Fatalf("token walk of valid JSON %q: %v", data, werr)
		}
		if dup != (e != nil) {
			t.Fatalf("Check(%q) = %v, token walk finds a duplicate: %v", data, err, dup)
		}
	})
}

// walkDuplicates reports whether some object of data (one valid JSON text)
// has two keys that encoding/json would decode into the same field.
func walkDuplicates(data []byte) (bool, error) {
	type open struct {
		object  bool
		wantKey bool
		keys    map[string]bool
	}
	var stack []*open
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].wantKey = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // a huge number is valid JSON, not a float64
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].wantKey {
			if tok == json.Delim('}') {
				stack = stack[:n-1]
				valueDone()
				continue
			}
			k := fold([]byte(tok.(string)))
			if stack[n-1].keys[k] {
				return true, nil
			}
			stack[n-1].keys[k] = true
			stack[n-1].wantKey = false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &open{object: true, wantKey: true, keys: map[string]bool{}})
		case json.Delim('['):
			stack = append(stack, &open{})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			valueDone()
		default:
			valueDone()
		}
	}
}

// FuzzCheckFields: CheckFields never panics and refuses no more than Check
// plus unknown top-level keys.
func FuzzCheckFields(f *testing.F) {
	f.Add([]byte(`{"roomId":"x","content":"y"}`))
	f.Add([]byte(`{"roomId":"x","extra":1}`))
	f.Add([]byte(`{"\u0065xtra":{"roomId":1}}`))
	known := func(k []byte) bool {
		return bytes.EqualFold(k, []byte("roomId")) || bytes.EqualFold(k, []byte("content"))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := CheckFields(data, known)
		var e *Error
		if err == nil {
			return
		}
		if !errors.As(err, &e) {
			t.Fatalf("CheckFields(%q) = %#v", data, err)
		}
		if e.Kind != UnknownField {
			if plain := Check(data); plain == nil || plain.Error() != err.Error() {
				t.Fatalf("CheckFields(%q) = %v, Check = %v", data, err, plain)
			}
		}
	})
}
