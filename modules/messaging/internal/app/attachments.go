package app

import (
	"context"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// AttachmentReader reads and drops the attachments messages carry (the
// attachments module, through the store). Linking them happens in the
// send transaction (MessageAppender.Append).
type AttachmentReader interface {
	// ForMessages returns the attachments of each message, with fresh
	// links; messages without any are absent.
	ForMessages(ctx context.Context, messageIDs []string) (map[string][]domain.Attachment, error)
	// DropMessageAttachments deletes a deleted message's attachments.
	DropMessageAttachments(ctx context.Context, messageID string) error
}

// fillAttachments sets the attachments of msgs in one lookup, made only
// for messages storage marked as carrying some (not deleted ones): a page
// without files costs no query.
func (a *App) fillAttachments(ctx context.Context, msgs []domain.Message) error {
	if a.p.Attachments == nil || len(msgs) == 0 {
		return nil
	}
	var ids []string
	for i := range msgs {
		if msgs[i].AttachmentsPending() && !msgs[i].Deleted() {
			ids = append(ids, msgs[i].ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	byID, err := a.p.Attachments.ForMessages(ctx, ids)
	if err != nil {
		return err
	}
	for i := range msgs {
		if msgs[i].AttachmentsPending() {
			msgs[i].Attachments = byID[msgs[i].ID]
		}
	}
	return nil
}

// withAttachments returns m with its attachments.
func (a *App) withAttachments(ctx context.Context, m domain.Message) (domain.Message, error) {
	one := []domain.Message{m}
	if err := a.fillAttachments(ctx, one); err != nil {
		return domain.Message{}, err
	}
	return one[0], nil
}
