package app

import (
	"context"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// MessageAppender stores messages.
type MessageAppender interface {
	// Append stores msg (ID, RoomID, UserID, Content, ClientMsgID set) in one
	// transaction that: takes the room's next seq under the room row lock
	// (re-checking that the sender may post), inserts the message, moves the
	// sender's read pointer to it and records its message.created event.
	// When (UserID, ClientMsgID) already names a message, it stores nothing
	// and returns that message with created false. The returned message
	// carries its seq and timestamp. ErrNotFound if the room vanished or the
	// sender lost membership meanwhile.
	// attachmentIDs are linked to the message in that transaction (all or
	// nothing: ErrInvalid when one is not the sender's own unattached
	// upload in the room) and returned in its Attachments.
	Append(ctx context.Context, msg domain.Message, attachmentIDs []string) (stored domain.Message, created bool, err error)
}

// SendInput is a message as a client sends it. An empty RoomID means the
// global room.
type SendInput struct {
	RoomID      string
	Content     string
	ClientMsgID string
	ReplyTo     string // optional: a message of the same room, not deleted
	// AttachmentIDs: the sender's uploads to link (Content may be "").
	AttachmentIDs []string
	// SessionID is the sending session (device); when set, a ciphertext's
	// senderDeviceId must be it.
	SessionID string
	// Ciphertext is the body of a message to an encrypted room (Content
	// "" then); nil elsewhere.
	Ciphertext *domain.Ciphertext
	// Trace: the W3C traceparent of the request or command that sent it
	// (optional), for its event; without it the span of ctx is used.
	Trace string
}

// SendMessage validates and stores a message from userID. created is false
// when the (userID, ClientMsgID) pair was already used: the first message is
// returned and nothing is stored. SendMessages does the same for many
// messages at once (the gateway's send-message commands of one read), and
// SendQueued gathers concurrent single sends (REST) into such batches.
func (a *App) SendMessage(ctx context.Context, userID string, in SendInput) (msg domain.Message, created bool, err error) {
	roomID, err := a.checkSend(in)
	if err != nil {
		return domain.Message{}, false, err
	}
	acc, err := a.p.Access.Access(ctx, roomID, userID)
	if err != nil {
		return domain.Message{}, false, err
	}
	if err := acc.CanPost(); err != nil {
		return domain.Message{}, false, err
	}
	if err := acc.CheckBody(in.Content, in.Ciphertext, len(in.AttachmentIDs)); err != nil {
		return domain.Message{}, false, err
	}
	replyTo, _ := ParseID("replyTo", in.ReplyTo) // checked by checkSend
	if replyTo != "" {
		if errs, err := a.checkReplies(ctx, []string{acc.Room.ID}, []string{replyTo}); err != nil {
			return domain.Message{}, false, err
		} else if errs[0] != nil {
			return domain.Message{}, false, errs[0]
		}
	}
	id := a.newID()
	if in.Trace != "" {
		ctx = withMessageTraces(ctx, map[string]string{id: in.Trace})
	}
	msg, created, err = a.p.Messages.Append(ctx, domain.Message{
		ID:          id,
		RoomID:      acc.Room.ID,
		UserID:      userID,
		Content:     in.Content,
		ClientMsgID: in.ClientMsgID,
		ReplyTo:     replyTo,
		Ciphertext:  in.Ciphertext,
	}, in.AttachmentIDs)
	if err != nil {
		return domain.Message{}, false, err
	}
	if created {
		a.wakeForMessages()
	} else if len(in.AttachmentIDs) > 0 {
		// A resend answers the first message as stored, attachments too.
		if msg, err = a.withAttachments(ctx, msg); err != nil {
			return domain.Message{}, false, err
		}
	}
	return msg, created, nil
}
