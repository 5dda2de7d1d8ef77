package wire

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"time"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// Event stream schema (see EVENTS.md). Every committed message, read
// receipt and membership change becomes one entry on the stream of its
// room's partition. Within a room, entries are in commit order (messages in
// seq order). Delivery is at least once: drop an entry whose id was seen.
const (
	// StreamPrefix starts every stream key: chat:events:{<partition>}. The
	// braces are a Redis Cluster hash tag.
	StreamPrefix = "chat:events:"

	EventMessageCreated    = string(domain.EventMessageCreated)    // data: Message
	EventMessageUpdated    = string(domain.EventMessageUpdated)    // data: Message (the whole message after an edit, deletion or reaction)
	EventReceiptUpdated    = string(domain.EventReceiptUpdated)    // data: Receipt
	EventMembershipChanged = string(domain.EventMembershipChanged) // data: MembershipChange
)

// Membership actions carried by MembershipChange.Action.
const (
	ActionJoined  = string(domain.ActionJoined)  // the user joined (or created the room)
	ActionLeft    = string(domain.ActionLeft)    // the user left
	ActionAdded   = string(domain.ActionAdded)   // By added the user
	ActionRemoved = string(domain.ActionRemoved) // By removed the user
)

// EventValues is the field list for XADD of an event entry. recordedAt
// may be zero and traceparent empty (the fields are then left out).
func EventValues(eventID, typ, roomID string, data []byte, recordedAt time.Time, traceparent string) []any {
	v := []any{"id", eventID, "type", typ, "room", roomID, "data", data}
	if !recordedAt.IsZero() {
		v = append(v, "at", micros(recordedAt))
	}
	if traceparent != "" {
		v = append(v, FieldTrace, traceparent)
	}
	return v
}

// Partition returns the stream partition of a room: FNV-1a (32 bit) of the
// room id in canonical lower-case form, modulo partitions.
func Partition(roomID string, partitions int) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(roomID))
	return int(h.Sum32() % uint32(partitions))
}

// StreamKey returns the key of partition p: chat:events:{p}.
func StreamKey(p int) string { return StreamPrefix + "{" + strconv.Itoa(p) + "}" }

// RoomStream returns the key of the stream carrying a room's events.
func RoomStream(roomID string, partitions int) string {
	return StreamKey(Partition(roomID, partitions))
}

// StreamKeys returns every stream key, for consumers reading them all.
func StreamKeys(partitions int) []string {
	keys := make([]string, partitions)
	for p := range keys {
		keys[p] = StreamKey(p)
	}
	return keys
}

// Receipt is the data of a receipt.updated event: UserID has read RoomID up
// to Seq.
// Unread (absent from events recorded before it existed) is what UserID
// has left to read in the room after the move: their own other devices
// show it (ARCHITECTURE.md section 10).
type Receipt struct {
	RoomID string `json:"roomId"`
	UserID string `json:"userId"`
	Seq    int64  `json:"seq"`
	Unread *int64 `json:"unread,omitempty"`
}

// MembershipChange is the data of a membership.changed event.
type MembershipChange struct {
	RoomID string `json:"roomId"`
	UserID string `json:"userId"`
	Action string `json:"action"`
	By     string `json:"by"`
}

// Event is a decoded stream entry. Exactly one of Message, Receipt and
// Membership is set, matching Type.
type Event struct {
	// RecordedAt is when the change was recorded in its transaction (the
	// api's clock; field "at", Unix microseconds), zero when absent: the
	// gateway measures the event's way to it from there.
	RecordedAt time.Time
	// Trace is the W3C traceparent of the relay's span that appended it
	// (field "traceparent"), "" when absent.
	Trace      string
	ID         string
	Type       string
	RoomID     string
	Message    *Message
	Receipt    *Receipt
	Membership *MembershipChange
}

// DecodeEvent decodes the fields of a stream entry (redis.XMessage.Values).
// An unknown type is an error: skip the entry, do not stop the consumer.
func DecodeEvent(values map[string]any) (Event, error) {
	e := Event{ID: str(values["id"]), Type: str(values["type"]), RoomID: str(values["room"]),
		RecordedAt: ParseMicros(str(values["at"])), Trace: str(values[FieldTrace])}
	data := []byte(str(values["data"]))
	if e.ID == "" || e.RoomID == "" || len(data) == 0 {
		return Event{}, errors.New("messaging: event entry lacks id, room or data")
	}
	var err error
	switch e.Type {
	case EventMessageCreated, EventMessageUpdated:
		e.Message = new(Message)
		err = json.Unmarshal(data, e.Message)
	case EventReceiptUpdated:
		e.Receipt = new(Receipt)
		err = json.Unmarshal(data, e.Receipt)
	case EventMembershipChanged:
		e.Membership = new(MembershipChange)
		err = json.Unmarshal(data, e.Membership)
	default:
		return Event{}, fmt.Errorf("messaging: unknown event type %q", e.Type)
	}
	if err != nil {
		return Event{}, fmt.Errorf("messaging: decode %s event %s: %w", e.Type, e.ID, err)
	}
	return e, nil
}
