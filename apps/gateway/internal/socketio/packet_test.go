package socketio

import (
	"bytes"
	"testing"
)

func TestDecode(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want Packet
	}{
		{"0", Packet{Type: Connect, Namespace: "/", ID: -1}},
		{`0{"token":"123"}`, Packet{Type: Connect, Namespace: "/", ID: -1, Data: []byte(`{"token":"123"}`)}},
		{"0/admin,", Packet{Type: Connect, Namespace: "/admin", ID: -1}},
		{"1", Packet{Type: Disconnect, Namespace: "/", ID: -1}},
		{`2["foo"]`, Packet{Type: Event, Namespace: "/", ID: -1, Data: []byte(`["foo"]`)}},
		{`2/admin,["bar"]`, Packet{Type: Event, Namespace: "/admin", ID: -1, Data: []byte(`["bar"]`)}},
		{`212["foo",{"a":1}]`, Packet{Type: Event, Namespace: "/", ID: 12, Data: []byte(`["foo",{"a":1}]`)}},
		{`3/admin,13["bar"]`, Packet{Type: Ack, Namespace: "/admin", ID: 13, Data: []byte(`["bar"]`)}},
		{`4{"message":"Not authorized"}`, Packet{Type: ConnectError, Namespace: "/", ID: -1, Data: []byte(`{"message":"Not authorized"}`)}},
		{`51-["baz",{"_placeholder":true,"num":0}]`, Packet{Type: BinaryEvent, Namespace: "/", ID: -1, Attachments: 1, Data: []byte(`["baz",{"_placeholder":true,"num":0}]`)}},
	}
	for _, c := range cases {
		got, err := Decode([]byte(c.in))
		if err != nil {
			t.Fatalf("%q: %v", c.in, err)
		}
		if got.Type != c.want.Type || got.Namespace != c.want.Namespace || got.ID != c.want.ID ||
			got.Attachments != c.want.Attachments || !bytes.Equal(got.Data, c.want.Data) {
			t.Errorf("%q: got %+v, want %+v", c.in, got, c.want)
		}
		if got.Type != BinaryEvent && got.Namespace != "/admin" {
			if s := string(got.Append(nil)); s != c.in {
				t.Errorf("%q: re-encoded as %q", c.in, s)
			}
		}
	}
	for _, bad := range []string{"", "7", "x", `2{"a":1}`, `2[1]`, `2[]`, `3["x"]`, `1{}`, `4`, `0[1]`, `2["a"`, `5-["a"]`, "299999999999999999999[\"a\"]"} {
		if _, err := Decode([]byte(bad)); err == nil {
			t.Errorf("%q: decoded, want an error", bad)
		}
	}
}

func TestEventName(t *testing.T) {
	t.Parallel()
	p, err := Decode([]byte(`27["send-message",{"content":"hi"}]`))
	if err != nil {
		t.Fatal(err)
	}
	name, args, err := EventName(p)
	if err != nil || name != "send-message" || len(args) != 1 || string(args[0]) != `{"content":"hi"}` {
		t.Fatalf("got %q %q %v", name, args, err)
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{"0", `0{"token":"x"}`, `212["foo",{"a":1}]`, `3/admin,13["bar"]`, `4{"message":"x"}`, `51-["baz",{"_placeholder":true,"num":0}]`, "1", "0/a,"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Decode(b)
		if err != nil {
			return
		}
		if p.Type == BinaryEvent || p.Type == BinaryAck {
			return // never re-encoded: the gateway refuses them
		}
		again, err := Decode(p.Append(nil))
		if err != nil {
			t.Fatalf("re-encoding %q of %q does not decode: %v", p.Append(nil), b, err)
		}
		if again.Type != p.Type || again.ID != p.ID || !bytes.Equal(again.Data, p.Data) {
			t.Fatalf("changed: %+v -> %+v", p, again)
		}
		if p.Type == Event {
			if _, _, err := EventName(p); err != nil {
				t.Fatalf("an EVENT that decodes has no name: %q", b)
			}
		}
	})
}
