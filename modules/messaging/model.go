package messaging

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// GlobalRoomID is the id of the room every user is in.
const GlobalRoomID = domain.GlobalRoomID

// TimeFormat is how timestamps travel: RFC 3339, milliseconds, UTC.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// Message is a stored chat message. Seq is its position in the room:
// 1, 2, 3, ... with no gap. Content is untrusted user text, exactly as sent:
// whoever renders it must escape it.
//
// Message marshals to the one wire shape used by REST, socket frames and
// stream events alike: {id, roomId, seq, userId, content, clientMsgId?,
// timestamp}.
type Message struct {
	ID          string
	RoomID      string
	Seq         int64
	UserID      string
	Content     string
	ClientMsgID string // "" when the client sent none
	CreatedAt   time.Time
}

// messageWire is Message's JSON shape.
type messageWire struct {
	ID          string `json:"id"`
	RoomID      string `json:"roomId"`
	Seq         int64  `json:"seq"`
	UserID      string `json:"userId"`
	Content     string `json:"content"`
	ClientMsgID string `json:"clientMsgId,omitempty"`
	Timestamp   string `json:"timestamp"`
}

// MarshalJSON writes the wire shape.
func (m Message) MarshalJSON() ([]byte, error) {
	return json.Marshal(messageWire{
		ID: m.ID, RoomID: m.RoomID, Seq: m.Seq, UserID: m.UserID, Content: m.Content,
		ClientMsgID: m.ClientMsgID, Timestamp: m.CreatedAt.UTC().Format(TimeFormat),
	})
}

// UnmarshalJSON reads the wire shape.
func (m *Message) UnmarshalJSON(b []byte) error {
	var w messageWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	t, err := time.Parse(time.RFC3339Nano, w.Timestamp)
	if err != nil {
		return fmt.Errorf("message timestamp: %w", err)
	}
	*m = Message{ID: w.ID, RoomID: w.RoomID, Seq: w.Seq, UserID: w.UserID, Content: w.Content,
		ClientMsgID: w.ClientMsgID, CreatedAt: t.UTC()}
	return nil
}

func messageFrom(d domain.Message) Message { return Message(d) }

// SendInput is a message to send. An empty RoomID means the global room.
// ClientMsgID (optional, up to 64 printable ASCII characters) makes the
// send idempotent per sender: repeating it returns the first message.
type SendInput struct {
	RoomID      string
	Content     string
	ClientMsgID string
}

// SendRequest is one message of a SendMessages batch: its sender and what
// was sent.
type SendRequest struct {
	UserID string
	Input  SendInput
}

// SendResult answers one SendRequest: the stored message (the first one,
// with Created false, when the sender's ClientMsgID was used before), or
// Err, which SendMessage would have returned for that request alone.
type SendResult struct {
	Message Message
	Created bool
	Err     error
}

// HistoryQuery selects a page of a room's messages by seq. Zero value: the
// newest page, newest first. Before pages backwards from a seq (newest
// first). Ascending reads forwards from After, oldest first (After > 0
// implies Ascending; After 0 with Ascending starts at the first message).
// Limit is 1..100, 0 meaning 50.
type HistoryQuery struct {
	Before    int64
	After     int64
	Ascending bool
	Limit     int
}

// Page is a page of history in the order asked. Next is the cursor of the
// following page: pass it as Before (descending) or After (ascending); 0
// when there is nothing more.
type Page struct {
	Items []Message
	Next  int64
}
