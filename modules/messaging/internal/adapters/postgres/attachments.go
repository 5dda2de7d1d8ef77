package postgres

import (
	"context"

	"gorm.io/gorm"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// Attachments is the attachments module as the store uses it: Claim links
// uploads to a message inside the transaction storing it (all or nothing),
// ForMessages lists messages' attachments with fresh links, Drop deletes a
// deleted message's. The root package adapts the module to it.
type Attachments interface {
	Claim(tx *gorm.DB, userID, roomID, messageID string, ids []string) ([]domain.Attachment, error)
	ForMessages(ctx context.Context, messageIDs []string) (map[string][]domain.Attachment, error)
	DropMessageAttachments(ctx context.Context, messageID string) error
}

// UseAttachments sets the attachments the store links and reads; without
// it (nil) a send naming attachments is refused and messages carry none.
// Call it before any use.
func (s *Store) UseAttachments(a Attachments) { s.attachments = a }

// claim links ids to msg inside tx, then rewrites msg's message.created
// outbox row (outboxID, event eventID) so the event carries the
// attachments too, and returns the new payload. The message row must
// exist: attachments reference it.
func (s *Store) claim(tx *gorm.DB, msg *domain.Message, eventID string, outboxID int64, ids []string) ([]byte, error) {
	if s.attachments == nil {
		return nil, &domain.InvalidError{Field: "attachmentIds", Message: "attachments are not available"}
	}
	atts, err := s.attachments.Claim(tx, msg.UserID, msg.RoomID, msg.ID, ids)
	if err != nil {
		return nil, err
	}
	msg.Attachments = atts
	event := domain.MessageCreated(eventID, *msg)
	data, err := s.encode(event)
	if err != nil {
		return nil, err
	}
	return data, tx.Exec(`UPDATE outbox SET payload = CAST(? AS jsonb) WHERE id = ?`, string(data), outboxID).Error
}

// ForMessages implements app.AttachmentReader: nil without attachments.
func (s *Store) ForMessages(ctx context.Context, ids []string) (map[string][]domain.Attachment, error) {
	if s.attachments == nil || len(ids) == 0 {
		return nil, nil
	}
	return s.attachments.ForMessages(ctx, ids)
}

// DropMessageAttachments implements app.AttachmentReader.
func (s *Store) DropMessageAttachments(ctx context.Context, messageID string) error {
	if s.attachments == nil {
		return nil
	}
	return s.attachments.DropMessageAttachments(ctx, messageID)
}
