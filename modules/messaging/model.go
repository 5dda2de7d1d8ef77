package messaging

import (
	"github.com/chatforge/chat/modules/messaging/internal/domain"
	"github.com/chatforge/chat/modules/messaging/wire"
)

// GlobalRoomID is the id of the room every user is in.
const GlobalRoomID = wire.GlobalRoomID

// TimeFormat is how timestamps travel: RFC 3339, milliseconds, UTC.
const TimeFormat = wire.TimeFormat

// Message is a stored chat message (see wire.Message): one wire shape for
// REST, socket frames and stream events alike.
type Message = wire.Message

func messageFrom(d domain.Message) Message { return Message(d) }

// SendInput is a message to send. An empty RoomID means the global room.
// ClientMsgID (optional, up to 64 printable ASCII characters) makes the
// send idempotent per sender: repeating it returns the first message.
type SendInput struct {
	RoomID      string
	Content     string
	ClientMsgID string
	ReplyTo     string // optional: a message of the same room, not deleted
	// AttachmentIDs: up to 10 of the sender's own unattached uploads in
	// the room; Content may then be "".
	AttachmentIDs []string
	// SessionID is the sending session (device); when set, a ciphertext's
	// senderDeviceId must be it.
	SessionID string
	// Ciphertext is the body of a message to an encrypted room (Content
	// must then be ""); a plain room refuses it.
	Ciphertext *Ciphertext
	// Trace: the W3C traceparent of the request or command that sent it
	// (optional), carried to its event so the fan-out joins its trace.
	// Without it the span of the call's ctx is used.
	Trace string
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
