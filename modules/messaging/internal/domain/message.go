package domain

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Content limits. The maximum is configurable (MESSAGE_MAX_LENGTH); this is
// its default.
const (
	DefaultMaxContentLength = 4000
	MaxClientMsgIDLength    = 64
)

// Message is a stored chat message. Seq orders the messages of a room:
// 1, 2, 3, ... with no gap and no duplicate. Content is untrusted text,
// stored exactly as sent.
//
// Rev is the room's revision at the message's last change (creation, edit,
// deletion, reaction): per room, strictly increasing across all messages.
// A deleted message keeps its seq, with Content "" and DeletedAt set. The
// fields after CreatedAt are the optional ones of the wire shape (zero:
// absent); wire.Message has the same fields in the same order.
type Message struct {
	ID          string
	RoomID      string
	Seq         int64
	UserID      string
	Content     string
	ClientMsgID string // "" when the client sent none
	CreatedAt   time.Time
	Rev         int64
	ReplyTo     string    // id of the message replied to; "" for none
	EditedAt    time.Time // zero: never edited
	DeletedAt   time.Time // zero: not deleted
	Reactions   []ReactionCount
	ReplyCount  int
	Attachments []Attachment // the files it carries, with fresh signed links
	Moderation  Moderation   // zero: visible; see Hidden
	// Call is the record of a call message (kind "call", posted by the
	// calls module when a call ends): a JSON object messaging stores and
	// returns as is. nil for every other message.
	Call       []byte
	Ciphertext *Ciphertext // an encrypted room's body (Content is then ""); nil elsewhere
}

// IsCall reports whether the message is a call entry.
func (m Message) IsCall() bool { return m.Call != nil }

// MaxAttachments is how many attachments one message may carry.
const MaxAttachments = 10

// Attachment is a file a message carries (ARCHITECTURE.md section 8): its
// metadata and signed, expiring links, made by the attachments module.
type Attachment struct {
	ID           string
	RoomID       string
	Name         string
	ContentType  string
	Size         int64
	URL          string
	ThumbnailURL string // "" when there is no thumbnail
}

// ValidateBody checks a sent message's content: with attachments it may be
// empty (""), else it follows ValidateContent.
func ValidateBody(content string, attachments, max int) error {
	if attachments > MaxAttachments {
		return invalid("attachmentIds", "must list at most "+strconv.Itoa(MaxAttachments)+" attachments")
	}
	if content == "" && attachments > 0 {
		return nil
	}
	return ValidateContent(content, max)
}

// ReactionCount is how many users reacted to a message with Emoji.
type ReactionCount struct {
	Emoji string
	Count int
}

// Deleted reports whether the message was deleted.
func (m Message) Deleted() bool { return !m.DeletedAt.IsZero() }

// pendingAttachments is the marker of MarkAttachmentsPending: empty, not nil.
var pendingAttachments = []Attachment{}

// MarkAttachmentsPending records, on a message read from storage, that it
// carries attachments not loaded yet (storage keeps a flag), so pages look
// attachments up only for such messages. The marker is an empty, non-nil
// Attachments: it shows as no attachments where nothing loads them.
func (m *Message) MarkAttachmentsPending() { m.Attachments = pendingAttachments }

// AttachmentsPending reports the mark of MarkAttachmentsPending.
func (m Message) AttachmentsPending() bool { return m.Attachments != nil && len(m.Attachments) == 0 }

// ValidateContent checks the content rules: valid UTF-8, 1..max characters
// (runes), not only white space, no NUL (PostgreSQL text cannot hold it).
// Content is otherwise kept as sent: no trimming, no escaping.
func ValidateContent(s string, max int) error {
	switch {
	case !utf8.ValidString(s):
		return invalid("content", "must be valid UTF-8")
	case strings.TrimFunc(s, unicode.IsSpace) == "":
		return invalid("content", "must not be empty or only white space")
	case strings.IndexByte(s, 0) >= 0:
		return invalid("content", "must not contain NUL characters")
	}
	// Counting stops early so a huge body costs no more than max runes.
	n := 0
	for range s {
		if n++; n > max {
			return invalid("content", "must be at most "+strconv.Itoa(max)+" characters")
		}
	}
	return nil
}

// ValidateClientMsgID checks an optional client message id: up to 64
// printable ASCII characters without spaces (a UUID fits).
func ValidateClientMsgID(s string) error {
	if len(s) > MaxClientMsgIDLength {
		return invalid("clientMsgId", "must be at most 64 characters")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return invalid("clientMsgId", "must be printable ASCII without spaces")
		}
	}
	return nil
}

// Receipt is how far a user has read a room. It only moves forward.
// Unread is what the user has left to read there once it moved (the
// room's last seq minus Seq), for the user's other devices.
type Receipt struct {
	RoomID string
	UserID string
	Seq    int64
	Unread int64
}
