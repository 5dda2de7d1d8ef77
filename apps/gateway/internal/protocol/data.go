package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/chatforge/chat/platform/strictjson"
)

// GlobalRoomID is the room every user is in; send-message and typing
// without roomId go there. Equal to wire.GlobalRoomID (a test checks).
const GlobalRoomID = "00000000-0000-0000-0000-000000000001"

// MaxClientMsgIDLength is the longest clientMsgId accepted (the storage
// limit), in characters.
const MaxClientMsgIDLength = 64

// JoinRoom is the data of join-room. LastSeq nil: no history wanted.
type JoinRoom struct {
	RoomID  string
	LastSeq *int64
	LastRev *int64 // changes to older messages after this rev are replayed too
}

// LeaveRoom is the data of leave-room.
type LeaveRoom struct{ RoomID string }

// SendMessage is the data of send-message; RoomID defaults to the global room.
type SendMessage struct {
	RoomID      string
	Content     string
	ClientMsgID string
	ReplyTo     string // "" for none; checked by the api
	// AttachmentIDs: at most MaxAttachments; that they are the sender's
	// own uploads in the room is the api's check (bad_request).
	AttachmentIDs []string
	// Ciphertext is the body of a message to an encrypted room (Content
	// empty); its rules are the api's.
	Ciphertext *Ciphertext
}

// Ciphertext is an end-to-end encrypted message body: {algorithm,
// senderDeviceId, recipients: {deviceId: base64}}.
type Ciphertext struct {
	Algorithm      string            `json:"algorithm"`
	SenderDeviceID string            `json:"senderDeviceId"`
	Recipients     map[string]string `json:"recipients"`
}

// MaxAttachments is how many attachmentIds one send-message may name.
const MaxAttachments = 10

// Typing is the data of typing-start and typing-stop; RoomID defaults to
// the global room.
type Typing struct{ RoomID string }

// MarkRead is the data of mark-read.
type MarkRead struct {
	RoomID string
	Seq    int64
}

// EditMessage is the data of edit-message.
type EditMessage struct {
	ID      string
	Content string
}

// DeleteMessage is the data of delete-message.
type DeleteMessage struct{ ID string }

// React is the data of react: add or remove (Add false) an emoji.
type React struct {
	MessageID string
	Emoji     string
	Add       bool
}

// The wire structs use pointers to tell a missing field from a zero value.
type roomData struct {
	RoomID      *string `json:"roomId"`
	LastSeq     *int64  `json:"lastSeq"`
	LastRev     *int64  `json:"lastRev"`
	Content     *string `json:"content"`
	ClientMsgID *string `json:"clientMsgId"`
	Seq         *int64  `json:"seq"`
	ID          *string `json:"id"`
	MessageID   *string `json:"messageId"`
	Emoji       *string `json:"emoji"`
	Op          *string `json:"op"`
	ReplyTo     *string `json:"replyTo"`
	// AttachmentIDs: any non-array value fails the decode (bad_request).
	AttachmentIDs []string `json:"attachmentIds"`
	// Ciphertext: any value that is not such an object fails the decode.
	Ciphertext *Ciphertext `json:"ciphertext"`
}

// The fields each event's data may carry; anything else is refused, as
// REST refuses unknown fields (a typo such as "conent" must not be
// silently dropped).
type fields uint16

const (
	fRoomID fields = 1 << iota
	fLastSeq
	fContent
	fClientMsgID
	fSeq
	fID
	fMessageID
	fEmoji
	fOp
	fReplyTo
	fLastRev
	fAttachmentIDs
	fCiphertext
)

// knows reports whether key (as written, unescaped) names one of f's
// fields; like encoding/json, it ignores case.
func (f fields) knows(key []byte) bool {
	for _, n := range [...]struct {
		bit  fields
		name string
	}{{fRoomID, "roomId"}, {fLastSeq, "lastSeq"}, {fContent, "content"}, {fClientMsgID, "clientMsgId"}, {fSeq, "seq"}, {fID, "id"},
		{fMessageID, "messageId"}, {fEmoji, "emoji"}, {fOp, "op"}, {fReplyTo, "replyTo"}, {fLastRev, "lastRev"},
		{fAttachmentIDs, "attachmentIds"}, {fCiphertext, "ciphertext"}} {
		if f&n.bit != 0 && len(key) == len(n.name) && bytes.EqualFold(key, []byte(n.name)) {
			return true
		}
	}
	return false
}

// Each event's field check, made once: a method value built per call would
// be one more allocation per frame.
var (
	joinRoomFields    = (fRoomID | fLastSeq | fLastRev).knows
	leaveRoomFields   = fRoomID.knows
	sendMessageFields = (fRoomID | fContent | fClientMsgID | fReplyTo | fAttachmentIDs | fCiphertext).knows
	typingFields      = fRoomID.knows
	markReadFields    = (fRoomID | fSeq).knows
	editFields        = (fID | fContent).knows
	deleteFields      = fID.knows
	reactFields       = (fMessageID | fEmoji | fOp).knows
)

func decodeData(data json.RawMessage, known func(key []byte) bool) (roomData, *Error) {
	var d roomData
	if len(data) == 0 || isNull(data) {
		return d, nil
	}
	if err := json.Unmarshal(data, &d); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			want := "a string"
			if strings.HasPrefix(te.Field, "attachmentIds") {
				return d, badRequest("data.attachmentIds must be an array of strings")
			}
			if strings.HasPrefix(te.Field, "ciphertext") {
				return d, badRequest("data.ciphertext must be {algorithm, senderDeviceId, recipients: {deviceId: base64}}")
			}
			if te.Field == "lastSeq" || te.Field == "seq" || te.Field == "lastRev" {
				want = "an integer"
			}
			return d, badRequest("data." + te.Field + " must be " + want)
		}
		return d, badRequest("data must be an object")
	}
	// Also run when data came in a frame Decode checked: the decoders are
	// called on data from other envelopes too (Socket.IO).
	if err := strictjson.CheckFields(data, known); err != nil {
		var e *strictjson.Error
		if errors.As(err, &e) && e.Kind == strictjson.UnknownField {
			return d, badRequest("data." + e.Key + " is not a field of this event")
		}
		return d, badRequest("data refused: " + strictReason(err))
	}
	return d, nil
}

// messageID validates a required message id (a UUID), lowercased.
func messageID(p *string) (string, *Error) { return uuidField(p, "id") }

// uuidField validates a required UUID field named name, lowercased.
func uuidField(p *string, name string) (string, *Error) {
	if p == nil {
		return "", badRequest("data." + name + " is required")
	}
	id, err := uuid.Parse(*p)
	if err != nil || len(*p) != 36 {
		return "", badRequest("data." + name + " must be a UUID")
	}
	return id.String(), nil
}

// roomID validates a room id (a UUID) and returns it in canonical lowercase
// form: rooms are keyed by that string everywhere. Missing: def, or an error
// when def is "".
func roomID(p *string, def string) (string, *Error) {
	if p == nil {
		if def == "" {
			return "", badRequest("data.roomId is required")
		}
		return def, nil
	}
	if len(*p) != 36 {
		return "", badRequest("data.roomId must be a UUID")
	}
	id, err := uuid.Parse(*p)
	if err != nil {
		return "", badRequest("data.roomId must be a UUID")
	}
	if s := *p; isLowerCanonical(s) {
		return s, nil // the common case allocates nothing
	}
	return id.String(), nil
}

func isLowerCanonical(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'F' {
			return false
		}
	}
	return true
}

// DecodeJoinRoom decodes and validates join-room data.
func DecodeJoinRoom(data json.RawMessage) (JoinRoom, *Error) {
	d, perr := decodeData(data, joinRoomFields)
	if perr != nil {
		return JoinRoom{}, perr
	}
	room, perr := roomID(d.RoomID, "")
	if perr != nil {
		return JoinRoom{}, perr
	}
	if d.LastSeq != nil && *d.LastSeq < 0 {
		return JoinRoom{}, badRequest("data.lastSeq must be >= 0")
	}
	if d.LastRev != nil && (*d.LastRev < 0 || d.LastSeq == nil) {
		return JoinRoom{}, badRequest("data.lastRev must be >= 0, with lastSeq")
	}
	return JoinRoom{RoomID: room, LastSeq: d.LastSeq, LastRev: d.LastRev}, nil
}

// DecodeLeaveRoom decodes and validates leave-room data.
func DecodeLeaveRoom(data json.RawMessage) (LeaveRoom, *Error) {
	d, perr := decodeData(data, leaveRoomFields)
	if perr != nil {
		return LeaveRoom{}, perr
	}
	room, perr := roomID(d.RoomID, "")
	return LeaveRoom{RoomID: room}, perr
}

// DecodeSendMessage decodes and validates send-message data. Content rules
// beyond "present and not empty" (length, characters) are the messaging
// module's; its verdict comes back as bad_request.
func DecodeSendMessage(data json.RawMessage) (SendMessage, *Error) {
	d, perr := decodeData(data, sendMessageFields)
	if perr != nil {
		return SendMessage{}, perr
	}
	room, perr := roomID(d.RoomID, GlobalRoomID)
	if perr != nil {
		return SendMessage{}, perr
	}
	if len(d.AttachmentIDs) > MaxAttachments {
		return SendMessage{}, badRequest("data.attachmentIds must list at most 10 ids")
	}
	if (d.Content == nil || *d.Content == "") && len(d.AttachmentIDs) == 0 && d.Ciphertext == nil {
		return SendMessage{}, badRequest("data.content is required")
	}
	m := SendMessage{RoomID: room, AttachmentIDs: d.AttachmentIDs, Ciphertext: d.Ciphertext}
	if d.Content != nil {
		m.Content = *d.Content
	}
	if d.ClientMsgID != nil {
		n := utf8.RuneCountInString(*d.ClientMsgID)
		if n == 0 || n > MaxClientMsgIDLength {
			return SendMessage{}, badRequest("data.clientMsgId must be 1 to 64 characters")
		}
		m.ClientMsgID = *d.ClientMsgID
	}
	if d.ReplyTo != nil {
		id, perr := uuidField(d.ReplyTo, "replyTo")
		if perr != nil {
			return SendMessage{}, perr
		}
		m.ReplyTo = id
	}
	return m, nil
}

// DecodeTyping decodes and validates typing-start/typing-stop data.
func DecodeTyping(data json.RawMessage) (Typing, *Error) {
	d, perr := decodeData(data, typingFields)
	if perr != nil {
		return Typing{}, perr
	}
	room, perr := roomID(d.RoomID, GlobalRoomID)
	return Typing{RoomID: room}, perr
}

// DecodeMarkRead decodes and validates mark-read data.
func DecodeMarkRead(data json.RawMessage) (MarkRead, *Error) {
	d, perr := decodeData(data, markReadFields)
	if perr != nil {
		return MarkRead{}, perr
	}
	room, perr := roomID(d.RoomID, "")
	if perr != nil {
		return MarkRead{}, perr
	}
	if d.Seq == nil {
		return MarkRead{}, badRequest("data.seq is required")
	}
	if *d.Seq < 1 {
		return MarkRead{}, badRequest("data.seq must be >= 1")
	}
	return MarkRead{RoomID: room, Seq: *d.Seq}, nil
}

// DecodeEditMessage decodes and validates edit-message data; content rules
// beyond "present and not empty" are the messaging module's.
func DecodeEditMessage(data json.RawMessage) (EditMessage, *Error) {
	d, perr := decodeData(data, editFields)
	if perr != nil {
		return EditMessage{}, perr
	}
	id, perr := messageID(d.ID)
	if perr != nil {
		return EditMessage{}, perr
	}
	if d.Content == nil || *d.Content == "" {
		return EditMessage{}, badRequest("data.content is required")
	}
	return EditMessage{ID: id, Content: *d.Content}, nil
}

// DecodeDeleteMessage decodes and validates delete-message data.
func DecodeDeleteMessage(data json.RawMessage) (DeleteMessage, *Error) {
	d, perr := decodeData(data, deleteFields)
	if perr != nil {
		return DeleteMessage{}, perr
	}
	id, perr := messageID(d.ID)
	return DeleteMessage{ID: id}, perr
}

// DecodeReact decodes and validates react data; the emoji rules are the
// messaging module's.
func DecodeReact(data json.RawMessage) (React, *Error) {
	d, perr := decodeData(data, reactFields)
	if perr != nil {
		return React{}, perr
	}
	id, perr := uuidField(d.MessageID, "messageId")
	if perr != nil {
		return React{}, perr
	}
	if d.Emoji == nil || *d.Emoji == "" {
		return React{}, badRequest("data.emoji is required")
	}
	if d.Op == nil || (*d.Op != "add" && *d.Op != "remove") {
		return React{}, badRequest(`data.op must be "add" or "remove"`)
	}
	return React{MessageID: id, Emoji: *d.Emoji, Add: *d.Op == "add"}, nil
}
