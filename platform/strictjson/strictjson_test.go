package strictjson

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	many := func(dupAt int) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range 40 {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `"k%d":%d`, i, i)
		}
		if dupAt >= 0 {
			fmt.Fprintf(&b, `,"K%d":0`, dupAt)
		}
		b.WriteString("}")
		return b.String()
	}
	cases := []struct {
		in   string
		kind Kind // 0: accepted
		key  string
	}{
		{`{"content":"hello","roomId":"x"}`, 0, ""},
		{`{"content":"héllo wörld ✓ 🎉"}`, 0, ""},
		{`{"content":"\ud83c\udf89 party"}`, 0, ""}, // a proper pair
		{`{"content":"\u00e9\n\t\"\\"}`, 0, ""},
		{`{"content":"\uFFFD literal replacement char"}`, 0, ""},
		{"{\"content\":\"\xef\xbf\xbd\"}", 0, ""}, // U+FFFD as UTF-8 is a character
		{`{"a":{"x":1},"b":{"x":2}}`, 0, ""},      // same key in sibling objects
		{`[{"a":1},{"a":1}]`, 0, ""},
		{`{"a":["a","a"],"b":"a"}`, 0, ""}, // values are not keys
		{`"just a string"`, 0, ""},
		{``, 0, ""},
		{many(-1), 0, ""},

		{"{\"content\":\"\xff\"}", InvalidUTF8, ""},
		{"{\"content\":\"ok \xc3\"}", InvalidUTF8, ""},      // truncated sequence
		{"{\"content\":\"\xed\xa0\x80\"}", InvalidUTF8, ""}, // a surrogate encoded as UTF-8
		{"{\"content\":\"\xc0\xaf\"}", InvalidUTF8, ""},     // overlong
		{"{\"k\xff\":1}", InvalidUTF8, ""},                  // in a key
		{`{"content":"\ud800"}`, LoneSurrogate, ""},
		{`{"content":"x\udc00y"}`, LoneSurrogate, ""},     // lone low half
		{`{"content":"\ud800\u0041"}`, LoneSurrogate, ""}, // high then not a low
		{`{"content":"\uD83C"}`, LoneSurrogate, ""},       // upper-case hex
		{`{"content":"\ud800\ud800"}`, LoneSurrogate, ""},
		{`{"content":"a","content":"b"}`, DuplicateKey, "content"},
		{`{"seq":1,"SEQ":2}`, DuplicateKey, "SEQ"},                   // same struct field
		{`{"roomId":"a","\u0072oomId":"b"}`, DuplicateKey, "roomId"}, // escaped spelling
		{`{"a":{"x":1,"x":2}}`, DuplicateKey, "x"},
		{`[{"a":1,"b":{"c":[1,{"d":1,"d":2}]}}]`, DuplicateKey, "d"},
		{`{"data":{"content":"x"},"data":{}}`, DuplicateKey, "data"},
		{"{\"\u017feq\":1,\"seq\":2}", DuplicateKey, "seq"}, // ſ folds to S, as in encoding/json
		{many(3), DuplicateKey, "K3"},                       // past the linear scan
		{many(39), DuplicateKey, "K39"},
	}
	for _, c := range cases {
		err := Check([]byte(c.in))
		if c.kind == 0 {
			if err != nil {
				t.Errorf("Check(%q) = %v, want nil", c.in, err)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Kind != c.kind || (c.key != "" && e.Key != c.key) {
			t.Errorf("Check(%q) = %#v, want kind %d key %q", c.in, err, c.kind, c.key)
		}
	}
}

func TestErrorMessages(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"{\"content\":\"\xff\"}":        "a string is not valid UTF-8 (at byte 13)",
		`{"content":"\ud800"}`:          `a string has a lone UTF-16 surrogate \ud800 (not a character) (at byte 13)`,
		`{"content":"a","content":"b"}`: `duplicate key "content" (at byte 16)`,
		`{"` + strings.Repeat("x", 100) + `":1,"` + strings.Repeat("x", 100) + `":2}`: `duplicate key "` + strings.Repeat("x", 64) + `..." (at byte 107)`,
	} {
		if err := Check([]byte(in)); err == nil || err.Error() != want {
			t.Errorf("Check(%.30q) = %v, want %s", in, err, want)
		}
	}
}

func TestCheckFields(t *testing.T) {
	t.Parallel()
	known := func(k []byte) bool {
		return bytes.EqualFold(k, []byte("roomId")) || bytes.EqualFold(k, []byte("content"))
	}
	for in, want := range map[string]string{
		`{"roomId":"x","content":"y"}`:         "",
		`{"ROOMID":"x"}`:                       "",
		`{"roomId":"x","extra":{"nested":1}}`:  "extra",
		`{"content":"y","\u0065xtra":1}`:       "extra",
		`{"content":{"nested":"not checked"}}`: "",
		`{"roomId":"x","roomId":"y"}`:          "dup",
	} {
		err := CheckFields([]byte(in), known)
		var e *Error
		switch {
		case want == "" && err != nil:
			t.Errorf("CheckFields(%s) = %v", in, err)
		case want == "dup" && (!errors.As(err, &e) || e.Kind != DuplicateKey):
			t.Errorf("CheckFields(%s) = %v, want a duplicate", in, err)
		case want != "" && want != "dup" && (!errors.As(err, &e) || e.Kind != UnknownField || e.Key != want):
			t.Errorf("CheckFields(%s) = %v, want unknown field %q", in, err, want)
		}
	}
}

// TestCheckAllocs: the common input (a small frame) costs no allocation.
func TestCheckAllocs(t *testing.T) {
	frame := []byte(`{"event":"send-message","ref":"17","data":{"roomId":"0b6a1c2e-3d4f-4a5b-8c7d-9e0f1a2b3c4d","content":"hello there, how is it going? ✓","clientMsgId":"c-1742"}}`)
	if n := testing.AllocsPerRun(100, func() { _ = Check(frame) }); n != 0 {
		t.Errorf("Check allocates %.0f times per frame", n)
	}
}

func BenchmarkCheck(b *testing.B) {
	frame := []byte(`{"event":"send-message","ref":"17","data":{"roomId":"0b6a1c2e-3d4f-4a5b-8c7d-9e0f1a2b3c4d","content":"hello there, how is it going?","clientMsgId":"c-1742"}}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if Check(frame) != nil {
			b.Fatal("refused")
		}
	}
}
