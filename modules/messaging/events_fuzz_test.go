package messaging_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/chatforge/chat/modules/messaging"
)

// FuzzDecodeEvent checks the decoder of event stream entries (written by
// the relay, read by every gateway and consumer): it accepts only known
// types with valid JSON data, and an event's data re-encoded decodes to
// the same event.
func FuzzDecodeEvent(f *testing.F) {
	msg := `{"id":"0190a3c4-1111-7abc-8def-0123456789ab","roomId":"r1","seq":7,"userId":"u1","content":"hi <b>&</b>","clientMsgId":"c1","timestamp":"2026-03-01T12:00:00.123Z"}`
	f.Add("e1", messaging.EventMessageCreated, "r1", msg)
	f.Add("e2", messaging.EventMessageCreated, "r1", `{"id":"m","timestamp":"2026-03-01T12:00:00.123456789+05:30"}`)
	f.Add("e3", messaging.EventMessageCreated, "r1", `{"id":"m","timestamp":"yesterday"}`)
	f.Add("e4", messaging.EventReceiptUpdated, "r1", `{"roomId":"r1","userId":"u","seq":3}`)
	f.Add("e5", messaging.EventMembershipChanged, "r1", `{"roomId":"r1","userId":"u","action":"added","by":"v"}`)
	f.Add("e6", "room.deleted", "r1", `{}`)
	f.Add("", messaging.EventReceiptUpdated, "r1", `{}`)
	f.Add("e7", messaging.EventReceiptUpdated, "r1", `{"seq":"3"}`)
	f.Add("e8", messaging.EventMessageUpdated, "r1", `{"id":"m","timestamp":"2026-03-01T12:00:00.123Z","content":"","moderation":{"status":"hidden","reason":"spam"}}`)
	f.Add("e9", messaging.EventMessageUpdated, "r1", `{"id":"m","timestamp":"2026-03-01T12:00:00.123Z","moderation":{"reason":"no status"}}`)
	f.Fuzz(func(t *testing.T, id, typ, room, data string) {
		e, err := messaging.DecodeEvent(map[string]any{"id": id, "type": typ, "room": room, "data": data})
		if err != nil {
			return
		}
		if e.ID != id || e.Type != typ || e.RoomID != room || id == "" || room == "" {
			t.Fatalf("fields %+v from id %q type %q room %q", e, id, typ, room)
		}
		if !json.Valid([]byte(data)) {
			t.Fatalf("accepted %q, which encoding/json refuses", data)
		}
		var body any
		set := 0
		for _, p := range []any{e.Message, e.Receipt, e.Membership} {
			if !reflect.ValueOf(p).IsNil() {
				set++
				body = p
			}
		}
		if set != 1 {
			t.Fatalf("%d of Message, Receipt, Membership set for type %q", set, typ)
		}
		// Round trip. A message's timestamp travels with milliseconds, so
		// the first re-encoding may cut it; from then on it is stable.
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatalf("re-encode %+v: %v", body, err)
		}
		e2, err := messaging.DecodeEvent(map[string]any{"id": id, "type": typ, "room": room, "data": string(b)})
		if err != nil {
			if e.Message != nil && (badYear(e.Message.CreatedAt) || badYear(e.Message.EditedAt) || badYear(e.Message.DeletedAt)) {
				return // a UTC year RFC 3339 cannot write; the relay never produces one
			}
			t.Fatalf("re-encoded %s refused: %v", b, err)
		}
		if e.Message != nil {
			want := *e.Message
			want.CreatedAt = want.CreatedAt.Truncate(1e6)
			want.EditedAt, want.DeletedAt = want.EditedAt.Truncate(1e6), want.DeletedAt.Truncate(1e6)
			if !reflect.DeepEqual(*e2.Message, want) {
				t.Fatalf("message round trip: %+v, then %+v", want, *e2.Message)
			}
			return
		}
		if !reflect.DeepEqual(e2, e) {
			t.Fatalf("round trip: %+v, then %+v", e, e2)
		}
	})
}

// badYear reports a UTC year RFC 3339 cannot write.
func badYear(t time.Time) bool { return t.Year() < 0 || t.Year() > 9999 }
