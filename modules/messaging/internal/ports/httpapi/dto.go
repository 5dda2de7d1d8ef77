package httpapi

import (
	"encoding/json"
	"time"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// timeFormat: RFC 3339 with milliseconds, UTC, as everywhere on the wire.
const timeFormat = "2006-01-02T15:04:05.000Z07:00"

func stamp(t time.Time) string { return t.UTC().Format(timeFormat) }

// messageDTO is the one wire shape of a message (REST, socket, events).
type messageDTO struct {
	ID          string             `json:"id"`
	RoomID      string             `json:"roomId"`
	Seq         int64              `json:"seq"`
	UserID      string             `json:"userId"`
	Content     string             `json:"content"`
	ClientMsgID string             `json:"clientMsgId,omitempty"`
	Timestamp   string             `json:"timestamp"`
	Rev         int64              `json:"rev"`
	ReplyTo     string             `json:"replyTo,omitempty"`
	Attachments []attachmentDTO    `json:"attachments,omitempty"`
	EditedAt    string             `json:"editedAt,omitempty"`
	DeletedAt   string             `json:"deletedAt,omitempty"`
	Reactions   []reactionCountDTO `json:"reactions,omitempty"`
	ReplyCount  int                `json:"replyCount,omitempty"`
	Moderation  *moderationDTO     `json:"moderation,omitempty"`
	Kind        string             `json:"kind,omitempty"`
	Call        json.RawMessage    `json:"call,omitempty"`
	Ciphertext  *ciphertextDTO     `json:"ciphertext,omitempty"`
}

type moderationDTO struct {
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// ciphertextDTO is an encrypted room's message body.
type ciphertextDTO struct {
	Algorithm      string            `json:"algorithm"`
	SenderDeviceID string            `json:"senderDeviceId"`
	Recipients     map[string]string `json:"recipients"`
}

func ciphertextIn(c *ciphertextDTO) *domain.Ciphertext {
	if c == nil {
		return nil
	}
	d := domain.Ciphertext(*c)
	return &d
}

func ciphertextOut(c *domain.Ciphertext) *ciphertextDTO {
	if c == nil {
		return nil
	}
	d := ciphertextDTO(*c)
	return &d
}

type attachmentDTO struct {
	ID           string `json:"id"`
	RoomID       string `json:"roomId"`
	Name         string `json:"name"`
	ContentType  string `json:"contentType"`
	Size         int64  `json:"size"`
	URL          string `json:"url"`
	ThumbnailURL string `json:"thumbnailUrl,omitempty"`
}

type reactionCountDTO struct {
	Emoji string `json:"emoji"`
	Count int    `json:"count"`
}

func toMessage(m domain.Message) messageDTO {
	out := messageDTO{ID: m.ID, RoomID: m.RoomID, Seq: m.Seq, UserID: m.UserID, Content: m.Content,
		ClientMsgID: m.ClientMsgID, Timestamp: stamp(m.CreatedAt), Rev: m.Rev, ReplyTo: m.ReplyTo,
		EditedAt: optStamp(m.EditedAt), DeletedAt: optStamp(m.DeletedAt), ReplyCount: m.ReplyCount,
		Ciphertext: ciphertextOut(m.Ciphertext)}
	if m.Call != nil {
		out.Kind, out.Call = "call", json.RawMessage(m.Call)
	}
	if len(m.Reactions) > 0 {
		out.Reactions = make([]reactionCountDTO, len(m.Reactions))
		for i, r := range m.Reactions {
			out.Reactions[i] = reactionCountDTO(r)
		}
	}
	if len(m.Attachments) > 0 {
		out.Attachments = make([]attachmentDTO, len(m.Attachments))
		for i, a := range m.Attachments {
			out.Attachments[i] = attachmentDTO(a)
		}
	}
	if m.Moderation.Status != "" {
		out.Moderation = &moderationDTO{Status: m.Moderation.Status, Reason: m.Moderation.Reason}
	}
	return out
}

// optStamp is stamp(t), or "" (absent) for the zero time.
func optStamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return stamp(t)
}

type searchHitDTO struct {
	messageDTO
	Rank float32 `json:"rank"`
}

type memberDTO struct {
	UserID   string `json:"userId"`
	Role     string `json:"role"`
	JoinedAt string `json:"joinedAt"`
}

func toMembers(ms []domain.Member) []memberDTO {
	out := make([]memberDTO, len(ms))
	for i, m := range ms {
		out[i] = memberDTO{UserID: m.UserID, Role: string(m.Role), JoinedAt: stamp(m.JoinedAt)}
	}
	return out
}

// roomDTO is a room as the caller sees it. Role and unreadCount are
// present only when the caller is a member (always for the global room);
// memberCount is absent for the global room (everyone is in it); peerId
// names the other user of a direct room.
type roomDTO struct {
	ID          string      `json:"id"`
	Kind        string      `json:"kind"`
	Name        string      `json:"name"`
	OwnerID     string      `json:"ownerId,omitempty"`
	PeerID      string      `json:"peerId,omitempty"`
	MemberCount *int        `json:"memberCount,omitempty"`
	LastSeq     int64       `json:"lastSeq"`
	CreatedAt   string      `json:"createdAt"`
	Role        string      `json:"role,omitempty"`
	UnreadCount *int64      `json:"unreadCount,omitempty"`
	LastMessage *messageDTO `json:"lastMessage,omitempty"`
	Encrypted   bool        `json:"encrypted,omitempty"`
}

func toRoom(v domain.RoomView, userID string) roomDTO {
	r := v.Room
	out := roomDTO{ID: r.ID, Kind: string(r.Kind), Name: r.Name, OwnerID: r.OwnerID, PeerID: r.Peer(userID),
		LastSeq: r.LastSeq, CreatedAt: stamp(r.CreatedAt), Role: string(v.Role), Encrypted: r.Encrypted}
	if r.Kind != domain.KindGlobal {
		n := r.MemberCount
		out.MemberCount = &n
	} else {
		out.Role = string(domain.RoleMember)
	}
	if (domain.Access{Room: r, Role: v.Role}).Member() {
		n := v.Unread()
		out.UnreadCount = &n
	}
	if v.LastMessage != nil {
		m := toMessage(*v.LastMessage)
		out.LastMessage = &m
	}
	return out
}

// roomDetailDTO is a room with its first members (the global room lists
// none: everyone is in it).
type roomDetailDTO struct {
	roomDTO
	Members []memberDTO `json:"members"`
}

type page[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"nextCursor"`
}

func newPage[T, D any](items []T, next string, conv func(T) D) page[D] {
	out := page[D]{Items: make([]D, len(items)), NextCursor: stringPtr(next)}
	for i, it := range items {
		out.Items[i] = conv(it)
	}
	return out
}

// Request bodies. Shape rules are here (web.Bind: 400/422); content and
// name rules are the domain's (422 from the use case).
type (
	createRoomRequest struct {
		Name      string   `json:"name" validate:"required"`
		Kind      string   `json:"kind" validate:"required,oneof=public private"`
		MemberIDs []string `json:"memberIds" validate:"omitempty,max=100,dive,uuid"`
		// Encrypted makes an end-to-end encrypted room (fixed for life).
		Encrypted bool `json:"encrypted"`
	}
	userRequest struct {
		UserID string `json:"userId" validate:"required,uuid"`
	}
	readRequest struct {
		Seq *int64 `json:"seq" validate:"required,gte=0"`
	}
	sendRequest struct {
		Content     string `json:"content" validate:"required_without_all=AttachmentIDs Ciphertext"` // may be "" with attachments or a ciphertext
		RoomID      string `json:"roomId"`                                                           // checked by the use case (accepts any case)
		ClientMsgID string `json:"clientMsgId" validate:"omitempty,max=64,printascii"`
		ReplyTo     string `json:"replyTo"` // checked by the use case (422)
		// AttachmentIDs: checked by the use case and the attachments module.
		AttachmentIDs []string `json:"attachmentIds"`
		// Ciphertext: the body of a message to an encrypted room (checked
		// by the use case).
		Ciphertext *ciphertextDTO `json:"ciphertext"`
	}
)
