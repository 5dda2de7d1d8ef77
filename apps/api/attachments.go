package main

import (
	"context"
	"errors"

	"gorm.io/gorm"

	"github.com/chatforge/chat/modules/attachments"
	"github.com/chatforge/chat/modules/messaging"
)

// roomAccess answers the attachments module's room question with the
// messaging module's read rule, translating its not-found.
type roomAccess struct{ chat *messaging.Module }

func (r *roomAccess) CanRead(ctx context.Context, userID, roomID string) error {
	return translate(r.chat.CanRead(ctx, userID, roomID))
}

func (r *roomAccess) CanPost(ctx context.Context, userID, roomID string) error {
	return translate(r.chat.CanPost(ctx, userID, roomID))
}

func translate(err error) error {
	switch {
	case errors.Is(err, messaging.ErrNotFound) || errors.Is(err, messaging.ErrInvalid):
		return attachments.ErrNotFound
	case errors.Is(err, messaging.ErrForbidden):
		return attachments.ErrForbidden
	}
	return err
}

// messageFiles is the attachments module as messaging's AttachmentLinker:
// the same attachment fields (conversion), and its refusal as messaging's
// invalid input (400 / bad_request).
type messageFiles struct{ files *attachments.Module }

func (m *messageFiles) Claim(tx *gorm.DB, userID, roomID, messageID string, ids []string) ([]messaging.Attachment, error) {
	atts, err := m.files.Claim(tx, userID, roomID, messageID, ids)
	if errors.Is(err, attachments.ErrInvalid) {
		// An *InvalidError: REST answers 422 naming the field, the socket
		// bad_request.
		return nil, &messaging.InvalidError{Field: "attachmentIds", Message: "refused: " + err.Error()}
	} else if err != nil {
		return nil, err
	}
	return convertAttachments(atts), nil
}

func (m *messageFiles) ForMessages(ctx context.Context, messageIDs []string) (map[string][]messaging.Attachment, error) {
	byID, err := m.files.ForMessages(ctx, messageIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]messaging.Attachment, len(byID))
	for id, atts := range byID {
		out[id] = convertAttachments(atts)
	}
	return out, nil
}

func (m *messageFiles) DropMessageAttachments(ctx context.Context, messageID string) error {
	return m.files.DropMessageAttachments(ctx, messageID)
}

func convertAttachments(atts []attachments.Attachment) []messaging.Attachment {
	out := make([]messaging.Attachment, len(atts))
	for i, a := range atts {
		out[i] = messaging.Attachment(a)
	}
	return out
}
