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
// timestamp, rev, replyTo?, attachments?, editedAt?, deletedAt?, reactions?, replyCount?}
// (ARCHITECTURE.md section 8: Rev is the room's revision at the message's
// last change; a deleted message has content "" and deletedAt).
type Message struct {
	ID          string
	RoomID      string
	Seq         int64
	UserID      string
	Content     string
	ClientMsgID string // "" when the client sent none
	CreatedAt   time.Time
	Rev         int64
	ReplyTo     string    // "" for none
	EditedAt    time.Time // zero: never edited
	DeletedAt   time.Time // zero: not deleted
	Reactions   []ReactionCount
	ReplyCount  int
	Attachments []Attachment
	Moderation  Moderation // zero: visible
}

// Moderation is a message's moderation state: {status: "hidden", reason}
// on a message hidden by moderation (its content withheld from all but the
// room's moderators); absent when visible.
type Moderation = domain.Moderation

// Attachment is a file a message carries: {id, roomId, name, contentType,
// size, url, thumbnailUrl?}; url and thumbnailUrl are signed, expiring links.
type Attachment = domain.Attachment

// AttachmentJSON is an Attachment's JSON shape (in messages and acks).
type AttachmentJSON struct {
	ID           string `json:"id"`
	RoomID       string `json:"roomId"`
	Name         string `json:"name"`
	ContentType  string `json:"contentType"`
	Size         int64  `json:"size"`
	URL          string `json:"url"`
	ThumbnailURL string `json:"thumbnailUrl,omitempty"`
}

// ReactionCount is how many users reacted to a message with Emoji.
type ReactionCount = domain.ReactionCount

// messageWire is Message's JSON shape.
type messageWire struct {
	ID          string           `json:"id"`
	RoomID      string           `json:"roomId"`
	Seq         int64            `json:"seq"`
	UserID      string           `json:"userId"`
	Content     string           `json:"content"`
	ClientMsgID string           `json:"clientMsgId,omitempty"`
	Timestamp   string           `json:"timestamp"`
	Rev         int64            `json:"rev"`
	ReplyTo     string           `json:"replyTo,omitempty"`
	Attachments []AttachmentJSON `json:"attachments,omitempty"`
	EditedAt    string           `json:"editedAt,omitempty"`
	DeletedAt   string           `json:"deletedAt,omitempty"`
	Reactions   []reactionWire   `json:"reactions,omitempty"`
	ReplyCount  int              `json:"replyCount,omitempty"`
	Moderation  *moderationWire  `json:"moderation,omitempty"`
}

type moderationWire struct {
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

type reactionWire struct {
	Emoji string `json:"emoji"`
	Count int    `json:"count"`
}

// MarshalJSON writes the wire shape.
func (m Message) MarshalJSON() ([]byte, error) {
	w := messageWire{
		ID: m.ID, RoomID: m.RoomID, Seq: m.Seq, UserID: m.UserID, Content: m.Content,
		ClientMsgID: m.ClientMsgID, Timestamp: m.CreatedAt.UTC().Format(TimeFormat),
		Rev: m.Rev, ReplyTo: m.ReplyTo, EditedAt: optStamp(m.EditedAt), DeletedAt: optStamp(m.DeletedAt),
		ReplyCount: m.ReplyCount,
	}
	if len(m.Reactions) > 0 {
		w.Reactions = make([]reactionWire, len(m.Reactions))
		for i, r := range m.Reactions {
			w.Reactions[i] = reactionWire(r)
		}
	}
	w.Attachments = AttachmentsJSON(m.Attachments)
	if m.Moderation.Status != "" {
		w.Moderation = &moderationWire{Status: m.Moderation.Status, Reason: m.Moderation.Reason}
	}
	return json.Marshal(w)
}

func optStamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(TimeFormat)
}

func optTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t.UTC(), err
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
	edited, err := optTime(w.EditedAt)
	if err != nil {
		return fmt.Errorf("message editedAt: %w", err)
	}
	deleted, err := optTime(w.DeletedAt)
	if err != nil {
		return fmt.Errorf("message deletedAt: %w", err)
	}
	*m = Message{ID: w.ID, RoomID: w.RoomID, Seq: w.Seq, UserID: w.UserID, Content: w.Content,
		ClientMsgID: w.ClientMsgID, CreatedAt: t.UTC(), Rev: w.Rev, ReplyTo: w.ReplyTo,
		EditedAt: edited, DeletedAt: deleted, ReplyCount: w.ReplyCount}
	for _, r := range w.Reactions {
		m.Reactions = append(m.Reactions, ReactionCount(r))
	}
	for _, a := range w.Attachments {
		m.Attachments = append(m.Attachments, Attachment(a))
	}
	if w.Moderation != nil && w.Moderation.Status != "" {
		m.Moderation = Moderation{Status: w.Moderation.Status, Reason: w.Moderation.Reason}
	}
	return nil
}

// AttachmentsJSON converts attachments to their JSON shape (nil for none).
func AttachmentsJSON(atts []Attachment) []AttachmentJSON {
	if len(atts) == 0 {
		return nil
	}
	out := make([]AttachmentJSON, len(atts))
	for i, a := range atts {
		out[i] = AttachmentJSON(a)
	}
	return out
}
