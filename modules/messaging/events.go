package messaging

import (
	"encoding/json"
	"fmt"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
	"github.com/chatforge/chat/modules/messaging/wire"
)

// Event stream schema (see EVENTS.md); defined in package wire, which the
// gateway imports without this package's storage side.
const (
	StreamPrefix           = wire.StreamPrefix
	EventMessageCreated    = wire.EventMessageCreated    // data: Message
	EventMessageUpdated    = wire.EventMessageUpdated    // data: Message
	EventReceiptUpdated    = wire.EventReceiptUpdated    // data: Receipt
	EventMembershipChanged = wire.EventMembershipChanged // data: MembershipChange
)

// Membership actions carried by MembershipChange.Action.
const (
	ActionJoined  = wire.ActionJoined
	ActionLeft    = wire.ActionLeft
	ActionAdded   = wire.ActionAdded
	ActionRemoved = wire.ActionRemoved
)

// Event data and decoded entries.
type (
	Receipt          = wire.Receipt
	MembershipChange = wire.MembershipChange
	Event            = wire.Event
)

// Partition returns the stream partition of a room (wire.Partition).
func Partition(roomID string, partitions int) int { return wire.Partition(roomID, partitions) }

// StreamKey returns the key of partition p (wire.StreamKey).
func StreamKey(p int) string { return wire.StreamKey(p) }

// RoomStream returns the key of the stream carrying a room's events.
func RoomStream(roomID string, partitions int) string { return wire.RoomStream(roomID, partitions) }

// StreamKeys returns every stream key, for consumers reading them all.
func StreamKeys(partitions int) []string { return wire.StreamKeys(partitions) }

// DecodeEvent decodes the fields of a stream entry (wire.DecodeEvent).
func DecodeEvent(values map[string]any) (Event, error) { return wire.DecodeEvent(values) }

// encodeEventData is the postgres adapter's Encoder: the "data" JSON of an
// event's stream entry, written to the outbox with the change.
func encodeEventData(e domain.Event) ([]byte, error) {
	switch e.Type {
	case domain.EventMessageCreated, domain.EventMessageUpdated:
		return json.Marshal(messageFrom(*e.Message))
	case domain.EventReceiptUpdated:
		r := e.Receipt
		unread := r.Unread
		return json.Marshal(Receipt{RoomID: r.RoomID, UserID: r.UserID, Seq: r.Seq, Unread: &unread})
	case domain.EventMembershipChanged:
		c := e.Membership
		return json.Marshal(MembershipChange{RoomID: c.RoomID, UserID: c.UserID, Action: string(c.Action), By: c.By})
	}
	return nil, fmt.Errorf("unknown event type %q", e.Type)
}
