package wire_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/chatforge/chat/modules/messaging/wire"
)

// values turns an XADD field list into what XREAD returns.
func values(kv []any) map[string]any {
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		switch v := kv[i+1].(type) {
		case []byte:
			m[kv[i].(string)] = string(v)
		default:
			m[kv[i].(string)] = v
		}
	}
	return m
}

func TestCommandRoundTrip(t *testing.T) {
	t.Parallel()
	c := wire.Command{ID: "i", Type: wire.CmdSendMessage, UserID: "u", SessionID: "s", Reply: "r", Ref: "1",
		Data: json.RawMessage(`{"roomId":"x","content":"hi"}`)}
	got, err := wire.ParseCommand(values(c.Values()))
	if err != nil || got.ID != c.ID || got.Type != c.Type || got.Ref != c.Ref || string(got.Data) != string(c.Data) {
		t.Fatalf("ParseCommand = %+v, %v; want %+v", got, err, c)
	}
	if _, err := wire.ParseCommand(map[string]any{"type": "send-message"}); err == nil {
		t.Fatal("a command without user, reply and ref parsed")
	}
}

func TestReplyError(t *testing.T) {
	t.Parallel()
	r := wire.Reply{Ref: "7", Data: json.RawMessage(`{"code":"unavailable","message":"busy"}`)}
	got, err := wire.ParseReply(values(r.Values()))
	if err != nil || got.OK || got.Err().Code != wire.CodeUnavailable {
		t.Fatalf("ParseReply = %+v, %v", got, err)
	}
}

func TestDecodeMessageEvent(t *testing.T) {
	t.Parallel()
	m := wire.Message{ID: "m", RoomID: wire.GlobalRoomID, Seq: 3, UserID: "u", Content: "hi",
		CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 678e6, time.UTC)}
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	e, err := wire.DecodeEvent(map[string]any{"id": "e", "type": wire.EventMessageCreated, "room": m.RoomID, "data": string(data)})
	if err != nil || e.Message == nil || !reflect.DeepEqual(*e.Message, m) {
		t.Fatalf("DecodeEvent = %+v, %v; want message %+v", e, err, m)
	}
	if _, err := wire.DecodeEvent(map[string]any{"id": "e", "type": "nope", "room": "r", "data": "{}"}); err == nil {
		t.Fatal("an unknown event type decoded")
	}
	if p := wire.Partition(m.RoomID, 4); wire.RoomStream(m.RoomID, 4) != wire.StreamKey(p) || len(wire.StreamKeys(4)) != 4 {
		t.Fatal("RoomStream is not the key of the room's partition")
	}
}

// The timestamps of the hops travel in microseconds: a command's send time,
// an event's recording time. Entries without them decode with zero times.
func TestTimestampsRoundTrip(t *testing.T) {
	t.Parallel()
	at := time.UnixMicro(1_780_000_000_123_456)
	c := wire.Command{Type: wire.CmdMarkRead, UserID: "u", Reply: "r", Ref: "1", SentAt: at}
	got, err := wire.ParseCommand(values(c.Values()))
	if err != nil || !got.SentAt.Equal(at) {
		t.Fatalf("SentAt = %v, %v; want %v", got.SentAt, err, at)
	}
	e, err := wire.DecodeEvent(values(wire.EventValues("e", wire.EventReceiptUpdated, "r", []byte(`{"seq":1}`), at, "")))
	if err != nil || !e.RecordedAt.Equal(at) {
		t.Fatalf("RecordedAt = %v, %v; want %v", e.RecordedAt, err, at)
	}
	e, err = wire.DecodeEvent(values(wire.EventValues("e", wire.EventReceiptUpdated, "r", []byte(`{"seq":1}`), time.Time{}, "")))
	if err != nil || !e.RecordedAt.IsZero() {
		t.Fatalf("RecordedAt without the field = %v, %v; want zero", e.RecordedAt, err)
	}
}

// BenchmarkCommandRoundTrip encodes a send-message command for XADD and
// parses it back as the api does (allocations per command on both ends).
func BenchmarkCommandRoundTrip(b *testing.B) {
	c := wire.Command{ID: "0b7f3c1e-9a2d-4e5f-8c6b-000000000001", Type: wire.CmdSendMessage, UserID: "u", SessionID: "s",
		Reply: "chat:replies:g", Ref: "17", Data: json.RawMessage(`{"roomId":"r","content":"hello"}`), SentAt: time.Now()}
	v := values(c.Values())
	b.ReportAllocs()
	for b.Loop() {
		_ = c.Values()
		if _, err := wire.ParseCommand(v); err != nil {
			b.Fatal(err)
		}
	}
}

// The trace context rides in an optional field: carried when set, absent
// (and not an error) in entries written without it.
func TestTraceRoundTrip(t *testing.T) {
	t.Parallel()
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	c := wire.Command{Type: wire.CmdMarkRead, UserID: "u", Reply: "r", Ref: "1", Trace: tp}
	got, err := wire.ParseCommand(values(c.Values()))
	if err != nil || got.Trace != tp {
		t.Fatalf("command Trace = %q, %v; want %q", got.Trace, err, tp)
	}
	c.Trace = ""
	if v := values(c.Values()); v[wire.FieldTrace] != nil {
		t.Fatalf("an untraced command has a %s field", wire.FieldTrace)
	}
	e, err := wire.DecodeEvent(values(wire.EventValues("e", wire.EventReceiptUpdated, "r", []byte(`{"seq":1}`), time.Time{}, tp)))
	if err != nil || e.Trace != tp {
		t.Fatalf("event Trace = %q, %v; want %q", e.Trace, err, tp)
	}
	e, err = wire.DecodeEvent(values(wire.EventValues("e", wire.EventReceiptUpdated, "r", []byte(`{"seq":1}`), time.Time{}, "")))
	if err != nil || e.Trace != "" {
		t.Fatalf("event without trace: Trace = %q, %v", e.Trace, err)
	}
}
