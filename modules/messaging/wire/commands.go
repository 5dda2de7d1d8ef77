package wire

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Stream names and limits shared by the gateway (producer) and the api
// (consumer).
const (
	// CommandStream is the stream every gateway appends client commands to.
	CommandStream = "chat:commands"
	// CommandGroup is the consumer group all api instances share.
	CommandGroup = "api"
	// CommandStreamMaxLen trims the command stream (approximately) so a
	// stopped api fleet cannot fill Redis; 1e6 commands is hours of backlog.
	CommandStreamMaxLen = 1_000_000
	// ReplyStreamPrefix + gateway id is the stream a gateway reads replies
	// from; each gateway process has its own.
	ReplyStreamPrefix = "chat:replies:"
	// ReplyStreamMaxLen trims a reply stream (approximately).
	ReplyStreamMaxLen = 10_000
	// ReplyStreamTTL expires the reply stream of a gateway that died
	// without deleting it; every reply refreshes it.
	ReplyStreamTTL = 10 * time.Minute
)

// CommandType names a command. The values are the socket event names.
type CommandType string

// Command types.
const (
	CmdSendMessage CommandType = "send-message"
	CmdJoinRoom    CommandType = "join-room"
	CmdMarkRead    CommandType = "mark-read"
	// Message changes: the reply data is the Message as it now is.
	CmdEditMessage   CommandType = "edit-message"
	CmdDeleteMessage CommandType = "delete-message"
	CmdReact         CommandType = "react"
	// Call signaling (ARCHITECTURE.md section 10): run by the calls module
	// through CommandOptions.Calls; the data is the client's, unchanged.
	CmdCallInvite CommandType = "call-invite"
	CmdCallAnswer CommandType = "call-answer"
	CmdCallICE    CommandType = "call-ice"
	CmdCallHangup CommandType = "call-hangup"
)

// IsCall reports whether t is a call signaling command.
func (t CommandType) IsCall() bool {
	switch t {
	case CmdCallInvite, CmdCallAnswer, CmdCallICE, CmdCallHangup:
		return true
	}
	return false
}

// Command is one entry of CommandStream.
type Command struct {
	ID        string          // uuid chosen by the gateway (logs, tracing)
	Type      CommandType     // what to do
	UserID    string          // the authenticated user (verified by the gateway)
	SessionID string          // the user's session
	Reply     string          // the stream to XADD the reply to
	Ref       string          // the gateway's correlation id, echoed in the reply
	Data      json.RawMessage // the command's data (SendMessageData, ...)
	// SentAt is when the gateway appended it (its clock, microseconds on
	// the wire as field "sent"); zero when absent. The api measures the
	// command's wait with it (the entry id has milliseconds only).
	SentAt time.Time
	// Trace is the W3C traceparent of the gateway's span that appended it
	// (field "traceparent", optional: absent when tracing is off, and in
	// entries of older gateways).
	Trace string
}

// Values is the field list for XADD.
func (c Command) Values() []any {
	v := []any{
		"id", c.ID, "type", string(c.Type), "user", c.UserID, "session", c.SessionID,
		"reply", c.Reply, "ref", c.Ref, "data", []byte(c.Data), "sent", micros(c.SentAt),
	}
	if c.Trace != "" {
		v = append(v, FieldTrace, c.Trace)
	}
	return v
}

// FieldTrace is the optional field of command and event entries carrying
// the W3C traceparent of the span that wrote them.
const FieldTrace = "traceparent"

// ParseCommand reads a command from a stream entry's fields. A command
// without type, user, reply or ref cannot be executed or answered.
func ParseCommand(values map[string]any) (Command, error) {
	c := Command{
		ID:        str(values["id"]),
		Type:      CommandType(str(values["type"])),
		UserID:    str(values["user"]),
		SessionID: str(values["session"]),
		Reply:     str(values["reply"]),
		Ref:       str(values["ref"]),
		Data:      json.RawMessage(str(values["data"])),
		SentAt:    ParseMicros(str(values["sent"])),
		Trace:     str(values[FieldTrace]),
	}
	if c.Type == "" || c.UserID == "" || c.Reply == "" || c.Ref == "" {
		return c, errors.New("wire: command lacks type, user, reply or ref")
	}
	return c, nil
}

// Reply is one entry of a reply stream: the result of the command whose Ref
// it carries. Data is the ack data when OK, an ErrorData otherwise.
type Reply struct {
	Ref  string
	OK   bool
	Data json.RawMessage
}

// Values is the field list for XADD.
func (r Reply) Values() []any {
	ok := "0"
	if r.OK {
		ok = "1"
	}
	return []any{"ref", r.Ref, "ok", ok, "data", []byte(r.Data)}
}

// ParseReply reads a reply from a stream entry's fields.
func ParseReply(values map[string]any) (Reply, error) {
	r := Reply{Ref: str(values["ref"]), OK: str(values["ok"]) == "1", Data: json.RawMessage(str(values["data"]))}
	if r.Ref == "" {
		return r, errors.New("wire: reply lacks ref")
	}
	return r, nil
}

// Err decodes the error of a failed reply.
func (r Reply) Err() *Error {
	if r.OK {
		return nil
	}
	var e Error
	if err := json.Unmarshal(r.Data, &e); err != nil || e.Code == "" {
		return &Error{Code: CodeInternal, Message: "malformed error reply"}
	}
	return &e
}

// SendMessageData is the data of a send-message command. RoomID is always
// set by the gateway (the global room when the client left it out).
type SendMessageData struct {
	RoomID      string `json:"roomId"`
	Content     string `json:"content"`
	ClientMsgID string `json:"clientMsgId,omitempty"`
	ReplyTo     string `json:"replyTo,omitempty"`
	// AttachmentIDs: up to 10 uploads of the sender (checked by the api).
	AttachmentIDs []string `json:"attachmentIds,omitempty"`
	// Ciphertext: the body of a message to an encrypted room (checked by
	// the api).
	Ciphertext *CiphertextJSON `json:"ciphertext,omitempty"`
}

// JoinRoomData is the data of a join-room command. Without LastSeq no
// history is sent. Limit bounds the replay (the gateway's REPLAY_MAX).
type JoinRoomData struct {
	RoomID  string `json:"roomId"`
	LastSeq *int64 `json:"lastSeq,omitempty"`
	// LastRev (with LastSeq): also the changes to messages up to LastSeq
	// made after this rev (JoinAck.Changes).
	LastRev *int64 `json:"lastRev,omitempty"`
	Limit   int    `json:"limit,omitempty"`
}

// MarkReadData is the data of a mark-read command.
type MarkReadData struct {
	RoomID string `json:"roomId"`
	Seq    int64  `json:"seq"`
}

// EditMessageData is the data of an edit-message command.
type EditMessageData struct {
	ID      string `json:"id"`
	Content string `json:"content"`
}

// DeleteMessageData is the data of a delete-message command.
type DeleteMessageData struct {
	ID string `json:"id"`
}

// ReactData is the data of a react command; Op is "add" or "remove".
type ReactData struct {
	MessageID string `json:"messageId"`
	Emoji     string `json:"emoji"`
	Op        string `json:"op"`
}

// SendAck answers send-message: the stored message (the first one when the
// clientMsgId was seen before) with its rev (section 8).
type SendAck struct {
	ID        string `json:"id"`
	RoomID    string `json:"roomId"`
	Seq       int64  `json:"seq"`
	Timestamp string `json:"timestamp"`
	Rev       int64  `json:"rev"`
	// Attachments: the message's attachments (absent when none).
	Attachments []AttachmentJSON `json:"attachments,omitempty"`
}

// JoinAck answers join-room. LastSeq is the room's newest seq when the
// command ran; Messages (encoded exactly like message event data, oldest
// first, all with seq <= LastSeq) are present only when the command had a
// LastSeq, and then Recovered says whether they are all the missed ones.
type JoinAck struct {
	RoomID    string            `json:"roomId"`
	LastSeq   int64             `json:"lastSeq"`
	Recovered *bool             `json:"recovered,omitempty"`
	Messages  []json.RawMessage `json:"messages,omitempty"`
	// With a LastRev: the room's newest rev, and each message with seq <=
	// the client's LastSeq changed after LastRev, in rev order (message
	// JSON, sent as message-updated after Messages).
	LastRev *int64            `json:"lastRev,omitempty"`
	Changes []json.RawMessage `json:"changes,omitempty"`
}

// MarkReadAck answers mark-read with the user's read position after it
// (never lower than before).
type MarkReadAck struct {
	RoomID string `json:"roomId"`
	Seq    int64  `json:"seq"`
}

// Error codes of failed replies; the gateway passes them to the client in
// its error frame.
const (
	CodeBadRequest  = "bad_request"
	CodeNotFound    = "not_found"
	CodeForbidden   = "forbidden"
	CodeInternal    = "internal"
	CodeUnavailable = "unavailable"
	// Refusals of ARCHITECTURE.md section 9, told apart by clients.
	CodeBlocked = "blocked"
	CodeMuted   = "muted"
	CodeBanned  = "banned"
)

// Error is the data of a failed reply, and the error a Service returns to
// choose the code the client sees. Any other error becomes CodeInternal.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// RetryAfterMs, on an unavailable reply from an overloaded api, is how
	// long to wait before retrying.
	RetryAfterMs int64 `json:"retryAfterMs,omitempty"`
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// micros encodes a time as decimal Unix microseconds ("" for zero).
func micros(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixMicro(), 10)
}

// ParseMicros decodes a timestamp field of the streams (decimal Unix
// microseconds: a command's "sent", an event's "at"); anything else is the
// zero time.
func ParseMicros(s string) time.Time {
	us, err := strconv.ParseInt(s, 10, 64)
	if err != nil || us <= 0 {
		return time.Time{}
	}
	return time.UnixMicro(us)
}

// str converts a stream field value (go-redis gives strings) to a string.
func str(v any) string {
	switch s := v.(type) {
	case string:
		return s
	case []byte:
		return string(s)
	default:
		return ""
	}
}
