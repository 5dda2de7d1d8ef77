package wire

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
