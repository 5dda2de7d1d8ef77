package engineio

import (
	"bytes"
	"testing"
)

func TestDecodeText(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want Packet
	}{
		{"2", Packet{Type: Ping, Data: []byte{}}},
		{"2probe", Packet{Type: Ping, Data: []byte("probe")}},
		{"3probe", Packet{Type: Pong, Data: []byte("probe")}},
		{"4hello", Packet{Type: Message, Data: []byte("hello")}},
		{"5", Packet{Type: Upgrade, Data: []byte{}}},
		{"6", Packet{Type: Noop, Data: []byte{}}},
		{"bAQIDBA==", Packet{Type: Message, Data: []byte{1, 2, 3, 4}, Binary: true}},
	}
	for _, c := range cases {
		got, err := DecodeText([]byte(c.in))
		if err != nil {
			t.Fatalf("%q: %v", c.in, err)
		}
		if got.Type != c.want.Type || !bytes.Equal(got.Data, c.want.Data) || got.Binary != c.want.Binary {
			t.Errorf("%q: got %+v, want %+v", c.in, got, c.want)
		}
		if string(got.Text()) != c.in {
			t.Errorf("%q: re-encoded as %q", c.in, got.Text())
		}
	}
	for _, bad := range []string{"", "7", "x", "b!!", "/"} {
		if _, err := DecodeText([]byte(bad)); err == nil {
			t.Errorf("%q: decoded, want an error", bad)
		}
	}
}

func TestPayload(t *testing.T) {
	t.Parallel()
	// The spec's example: "4hello\x1e2\x1ebAQIDBA==".
	in := []byte("4hello\x1e2\x1ebAQIDBA==")
	ps, err := DecodePayload(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 3 || ps[0].Type != Message || ps[1].Type != Ping || !ps[2].Binary {
		t.Fatalf("got %+v", ps)
	}
	texts := make([][]byte, len(ps))
	for i, p := range ps {
		texts[i] = p.Text()
	}
	if out := AppendPayload(nil, texts); !bytes.Equal(out, in) {
		t.Fatalf("re-encoded as %q", out)
	}
	for _, bad := range []string{"", "4a\x1e", "\x1e4a", "4a\x1e\x1e2"} {
		if _, err := DecodePayload([]byte(bad)); err == nil {
			t.Errorf("%q: decoded, want an error", bad)
		}
	}
}

func FuzzDecodePayload(f *testing.F) {
	for _, s := range []string{"4hello\x1e2\x1ebAQIDBA==", "2probe", "5", "6", "b", "40{\"token\":\"x\"}", "1"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ps, err := DecodePayload(b)
		if err != nil {
			return
		}
		texts := make([][]byte, len(ps))
		for i, p := range ps {
			texts[i] = p.Text()
		}
		again, err := DecodePayload(AppendPayload(nil, texts))
		if err != nil || len(again) != len(ps) {
			t.Fatalf("re-encoding of %q does not decode: %v", b, err)
		}
		for i := range ps {
			if again[i].Type != ps[i].Type || again[i].Binary != ps[i].Binary || !bytes.Equal(again[i].Data, ps[i].Data) {
				t.Fatalf("packet %d changed: %+v -> %+v", i, ps[i], again[i])
			}
		}
	})
}
