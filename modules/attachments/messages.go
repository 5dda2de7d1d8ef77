package attachments

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/chatforge/chat/modules/attachments/internal/adapters/postgres"
	"github.com/chatforge/chat/modules/attachments/internal/app"
	"github.com/chatforge/chat/modules/attachments/internal/ports/httpapi"
)

// MaxPerMessage is how many attachments one message may carry.
const MaxPerMessage = 10

// Attachment is an attachment as messages carry it (the ChatAttachment
// schema): metadata and fresh signed links.
type Attachment = httpapi.AttachmentJSON

// The messaging module's hooks. Messaging declares the ports it needs
// (claim in its send transaction, list for history and events, drop with a
// deleted message); apps/api passes this Module to it.

// Claim links the uploads ids to messageID inside tx, the transaction
// that stores the message, so the message and its attachments commit
// together. Every id must be userID's own upload in roomID that no message
// carries yet, at most MaxPerMessage, no repeats; else ErrInvalid and
// nothing is linked (roll tx back). It returns the attachments, in the
// order given, with fresh links.
func (m *Module) Claim(tx *gorm.DB, userID, roomID, messageID string, ids []string) ([]Attachment, error) {
	if len(ids) > MaxPerMessage {
		return nil, fmt.Errorf("%w: at most %d attachmentIds", ErrInvalid, MaxPerMessage)
	}
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if _, err := uuid.Parse(id); err != nil || seen[id] {
			return nil, fmt.Errorf("%w: attachmentIds must be distinct attachment ids", ErrInvalid)
		}
		seen[id] = true
	}
	if len(ids) == 0 {
		return nil, nil
	}
	atts, err := postgres.Claim(tx, userID, roomID, messageID, ids)
	if err != nil {
		return nil, err
	}
	return toJSON(m.app.ViewsOf(atts)), nil
}

// ForMessages returns the attachments of each message (history pages),
// with fresh links; messages without any are absent from the map.
func (m *Module) ForMessages(ctx context.Context, messageIDs []string) (map[string][]Attachment, error) {
	views, err := m.app.Views(ctx, messageIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]Attachment, len(views))
	for id, vs := range views {
		out[id] = toJSON(vs)
	}
	return out, nil
}

// DropMessageAttachments deletes the attachments of a deleted message
// (files first, then rows). Idempotent: a message without any is a no-op.
// It reports no failure: the delete it follows has committed, and what a
// failed drop (the blob store or the database down) leaves, the worker's
// sweep removes (PurgeOrphans); it is logged.
func (m *Module) DropMessageAttachments(ctx context.Context, messageID string) error {
	if _, err := uuid.Parse(messageID); err != nil {
		return nil
	}
	if err := m.app.DropMessage(ctx, messageID); err != nil {
		m.log.WarnContext(ctx, "attachments: files of a deleted message left to the worker's sweep", "message", messageID, "err", err)
	}
	return nil
}

func toJSON(vs []app.View) []Attachment {
	out := make([]Attachment, len(vs))
	for i, v := range vs {
		out[i] = httpapi.ToJSON(v)
	}
	return out
}
