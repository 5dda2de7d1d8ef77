// Package postgres keeps attachment metadata in the attachments table.
package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/chatforge/chat/modules/attachments/internal/app"
	"github.com/chatforge/chat/modules/attachments/internal/domain"
	"github.com/chatforge/chat/platform/database"
)

type row struct {
	ID          string  `gorm:"column:id"`
	RoomID      string  `gorm:"column:room_id"`
	UserID      string  `gorm:"column:user_id"`
	Name        string  `gorm:"column:name"`
	ContentType string  `gorm:"column:content_type"`
	Size        int64   `gorm:"column:size"`
	HasThumb    bool    `gorm:"column:has_thumb"`
	MessageID   *string `gorm:"column:message_id"`
	CreatedAt   time.Time
}

const columns = `id, room_id, user_id, name, content_type, size, has_thumb, message_id, created_at`

func (r row) toDomain() domain.Attachment {
	a := domain.Attachment{ID: r.ID, RoomID: r.RoomID, UserID: r.UserID, Name: r.Name, ContentType: r.ContentType,
		Size: r.Size, HasThumb: r.HasThumb, CreatedAt: r.CreatedAt.UTC()}
	if r.MessageID != nil {
		a.MessageID = *r.MessageID
	}
	return a
}

// Repo implements app.Repo.
type Repo struct{ db *gorm.DB }

var _ app.Repo = (*Repo)(nil)

// New returns the repository on db.
func New(db *gorm.DB) *Repo { return &Repo{db: db} }

// quotaLockClass is the first key of the per-user advisory lock taken by
// Create (the two-key form: a space apart from single-key locks).
const quotaLockClass = 1416

// Create inserts a new, unclaimed attachment. With quota > 0 it first takes
// the uploader's advisory lock, so their uploads check and insert one at a
// time, and refuses (domain.ErrQuota, nothing inserted) when the user's
// files would then exceed quota bytes.
func (r *Repo) Create(ctx context.Context, a domain.Attachment, quota int64) error {
	return r.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if quota > 0 {
			if err := tx.Exec(`SELECT pg_advisory_xact_lock(?, hashtext(?))`, quotaLockClass, a.UserID).Error; err != nil {
				return err
			}
			used, err := usage(tx, a.UserID)
			if err != nil {
				return err
			}
			if used+a.Size > quota {
				return fmt.Errorf("%w: %d of %d bytes used", domain.ErrQuota, used, quota)
			}
		}
		return tx.Exec(`INSERT INTO attachments (id, room_id, user_id, name, content_type, size, has_thumb, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, a.ID, a.RoomID, a.UserID, a.Name, a.ContentType, a.Size, a.HasThumb, a.CreatedAt).Error
	})
}

// Usage is the bytes of userID's files: every row of theirs, attached or
// not (a scan of attachments_user_idx).
func (r *Repo) Usage(ctx context.Context, userID string) (int64, error) {
	return usage(r.db.WithContext(ctx), userID)
}

func usage(db *gorm.DB, userID string) (int64, error) {
	var n int64
	err := database.ScanRow(db.Raw(`SELECT COALESCE(sum(size), 0) FROM attachments WHERE user_id = ?`, userID), &n)
	return n, err
}

// Get reads one attachment.
func (r *Repo) Get(ctx context.Context, id string) (domain.Attachment, error) {
	var rows []row
	if err := r.db.WithContext(ctx).Raw(`SELECT `+columns+` FROM attachments WHERE id = ?`, id).Scan(&rows).Error; err != nil {
		return domain.Attachment{}, err
	}
	if len(rows) == 0 {
		return domain.Attachment{}, domain.ErrNotFound
	}
	return rows[0].toDomain(), nil
}

// Orphans lists unclaimed attachments created before t, oldest first.
func (r *Repo) Orphans(ctx context.Context, before time.Time, limit int) ([]domain.Attachment, error) {
	var rows []row
	if err := r.db.WithContext(ctx).Raw(`SELECT `+columns+` FROM attachments
		WHERE message_id IS NULL AND created_at < ? ORDER BY created_at LIMIT ?`, before, limit).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]domain.Attachment, len(rows))
	for i, r := range rows {
		out[i] = r.toDomain()
	}
	return out, nil
}

// OfDeletedMessages lists up to limit attachments of deleted messages (the
// api drops them after the delete commits; these are what a failed or cut
// short drop left).
func (r *Repo) OfDeletedMessages(ctx context.Context, limit int) ([]domain.Attachment, error) {
	var rows []row
	if err := r.db.WithContext(ctx).Raw(`SELECT `+prefixed("a.")+` FROM messages m
		JOIN attachments a ON a.message_id = m.id
		WHERE m.deleted_at IS NOT NULL AND m.has_attachments
		ORDER BY m.deleted_at LIMIT ?`, limit).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]domain.Attachment, len(rows))
	for i, r := range rows {
		out[i] = r.toDomain()
	}
	return out, nil
}

// ClearDeletedFlags unsets has_attachments on deleted messages no
// attachment row points at any more, so they leave the partial index
// OfDeletedMessages reads.
func (r *Repo) ClearDeletedFlags(ctx context.Context) error {
	return r.db.WithContext(ctx).Exec(`UPDATE messages m SET has_attachments = false
		WHERE m.deleted_at IS NOT NULL AND m.has_attachments
			AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.message_id = m.id)`).Error
}

// Delete removes the row.
func (r *Repo) Delete(ctx context.Context, id string) error {
	return r.db.WithContext(ctx).Exec(`DELETE FROM attachments WHERE id = ?`, id).Error
}

// ForMessages returns the attachments of each message, in position order.
func (r *Repo) ForMessages(ctx context.Context, messageIDs []string) (map[string][]domain.Attachment, error) {
	out := map[string][]domain.Attachment{}
	if len(messageIDs) == 0 {
		return out, nil
	}
	var rows []row
	if err := r.db.WithContext(ctx).Raw(`SELECT `+columns+` FROM attachments
		WHERE message_id IN ? ORDER BY message_id, position`, messageIDs).Scan(&rows).Error; err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[*r.MessageID] = append(out[*r.MessageID], r.toDomain())
	}
	return out, nil
}

// Claim links the uploads ids to messageID in tx (the sender's message
// transaction), in the order given, when every one is userID's own upload
// in roomID that no message carries yet. It returns the claimed rows in
// that order, or domain.ErrInvalid (and links nothing: the caller's
// transaction rolls back).
func Claim(tx *gorm.DB, userID, roomID, messageID string, ids []string) ([]domain.Attachment, error) {
	var rows []row
	err := tx.Raw(`UPDATE attachments a SET message_id = ?, position = x.ord
		FROM unnest(CAST(? AS uuid[])) WITH ORDINALITY AS x(id, ord)
		WHERE a.id = x.id AND a.user_id = ? AND a.room_id = ? AND a.message_id IS NULL
		RETURNING `+prefixed("a."), messageID, uuidArray(ids), userID, roomID).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	if len(rows) != len(ids) {
		return nil, domain.ErrInvalid
	}
	out := make([]domain.Attachment, len(rows))
	for i, r := range rows {
		out[i] = r.toDomain()
	}
	slices.SortFunc(out, func(a, b domain.Attachment) int { return slices.Index(ids, a.ID) - slices.Index(ids, b.ID) })
	return out, nil
}

func prefixed(p string) string {
	parts := strings.Split(columns, ", ")
	for i := range parts {
		parts[i] = p + parts[i]
	}
	return strings.Join(parts, ", ")
}

// uuidArray renders ids as a PostgreSQL array literal (ids are checked
// UUIDs: nothing to escape).
func uuidArray(ids []string) string { return "{" + strings.Join(ids, ",") + "}" }
