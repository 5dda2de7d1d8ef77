package domain

import "time"

// EventType names an event on the stream; it is part of the public schema.
type EventType string

// Event types.
const (
	EventMessageCreated    EventType = "message.created"
	EventMessageUpdated    EventType = "message.updated"
	EventReceiptUpdated    EventType = "receipt.updated"
	EventMembershipChanged EventType = "membership.changed"
)

// Event is a change the gateways must hear about. It is recorded in the
// outbox in the transaction of the change, then relayed. ID is unique per
// event so consumers can drop a redelivered one. Exactly one of Message,
// Receipt and Membership is set, matching Type.
type Event struct {
	ID         string
	Type       EventType
	RoomID     string
	At         time.Time
	Message    *Message
	Receipt    *Receipt
	Membership *Change
}

// MessageCreated is the event of a stored message.
func MessageCreated(id string, m Message) Event {
	return Event{ID: id, Type: EventMessageCreated, RoomID: m.RoomID, At: m.CreatedAt, Message: &m}
}

// MessageUpdated is the event of a change to a stored message (edit,
// deletion, reaction): the whole message as it now is, with its new rev.
func MessageUpdated(id string, m Message, at time.Time) Event {
	return Event{ID: id, Type: EventMessageUpdated, RoomID: m.RoomID, At: at, Message: &m}
}

// ReceiptUpdated is the event of a read pointer that moved forward.
func ReceiptUpdated(id string, r Receipt, at time.Time) Event {
	return Event{ID: id, Type: EventReceiptUpdated, RoomID: r.RoomID, At: at, Receipt: &r}
}

// MembershipChanged is the event of an applied (non-noop) membership change.
func MembershipChanged(id string, c Change, at time.Time) Event {
	return Event{ID: id, Type: EventMembershipChanged, RoomID: c.RoomID, At: at, Membership: &c}
}

// Record is an event as the relay sees it: already encoded, with its
// outbox position. Data is the JSON "data" field of the stream entry.
type Record struct {
	OutboxID int64
	EventID  string
	Type     EventType
	RoomID   string
	Data     []byte
	At       time.Time // when its change was recorded (the event's At); zero if unknown
	// Trace is the W3C traceparent of the request, command or task that
	// made the change; "" when untraced.
	Trace string
	// Seq is the room seq of a message.created record (0 for every other
	// type): the streams take a room's messages in seq order, once each,
	// whichever process publishes them (the committer or the relay).
	Seq int64
}

// Publication is what the event streams did with one record.
type Publication int

const (
	// Appended: the record is in its stream.
	Appended Publication = iota
	// Duplicate: its room's seq had passed it (published before); dropped.
	Duplicate
	// Parked: it waits in the streams' store for its room's earlier
	// messages, and is appended after them.
	Parked
	// UnknownRoom: its room has no published seq in the streams (new to
	// them: Redis restarted, or the room idle past the seq's TTL) and no
	// start was given for it; nothing was done.
	UnknownRoom
)
