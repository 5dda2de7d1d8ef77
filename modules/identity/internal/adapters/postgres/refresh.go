package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/chatforge/chat/modules/identity/internal/domain"
)

type refreshTokenRow struct {
	Hash      []byte `gorm:"primaryKey"`
	SessionID uuid.UUID
	CreatedAt time.Time `gorm:"autoCreateTime:false"`
	SpentAt   *time.Time
}

func (refreshTokenRow) TableName() string { return "refresh_tokens" }

func toRefreshRow(t domain.RefreshToken) refreshTokenRow {
	return refreshTokenRow{Hash: t.Hash[:], SessionID: t.SessionID, CreatedAt: t.CreatedAt, SpentAt: t.SpentAt}
}

func (r refreshTokenRow) toDomain() domain.RefreshToken {
	t := domain.RefreshToken{SessionID: r.SessionID, CreatedAt: r.CreatedAt.UTC(), SpentAt: utc(r.SpentAt)}
	copy(t.Hash[:], r.Hash)
	return t
}

func insertRefreshToken(tx *gorm.DB, t domain.RefreshToken) error {
	row := toRefreshRow(t)
	if err := tx.Create(&row).Error; err != nil {
		return fmt.Errorf("insert refresh token: %w", err)
	}
	return nil
}

// RotateRefresh implements app.RefreshStore. SELECT ... FOR UPDATE on the
// token row serializes concurrent refreshes of one token: under READ
// COMMITTED the second waits for the first to commit and then reads the
// token as spent, so exactly one of them rotates and the other is treated
// as reuse.
func (s *Store) RotateRefresh(ctx context.Context, h domain.TokenHash, fn func(*domain.Rotation) error) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		var tok refreshTokenRow
		if err := tx.Clauses(forUpdate).Where("hash = ?", h[:]).Take(&tok).Error; err != nil {
			if notFound(err) {
				return domain.ErrInvalidRefreshToken
			}
			return fmt.Errorf("lock refresh token: %w", err)
		}
		var sess sessionRow
		if err := tx.Clauses(forUpdate).Where("id = ?", tok.SessionID).Take(&sess).Error; err != nil {
			return fmt.Errorf("lock session: %w", err) // the FK guarantees it exists
		}
		r := domain.Rotation{Token: tok.toDomain(), Session: sess.toDomain()}
		if err := fn(&r); err != nil {
			return err
		}
		if err := tx.Model(&refreshTokenRow{}).Where("hash = ?", h[:]).
			Update("spent_at", r.Token.SpentAt).Error; err != nil {
			return fmt.Errorf("spend refresh token: %w", err)
		}
		if err := tx.Model(&sessionRow{}).Where("id = ?", r.Session.ID).Updates(map[string]any{
			"last_used_at": r.Session.LastUsedAt, "revoked_at": r.Session.RevokedAt,
		}).Error; err != nil {
			return fmt.Errorf("update session: %w", err)
		}
		if r.Next != nil {
			return insertRefreshToken(tx, *r.Next)
		}
		return nil
	})
}
