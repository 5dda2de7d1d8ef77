package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/chatforge/chat/modules/identity/internal/domain"
)

type emailTokenRow struct {
	Hash      []byte `gorm:"primaryKey"`
	UserID    uuid.UUID
	Purpose   string
	CreatedAt time.Time `gorm:"autoCreateTime:false"`
	ExpiresAt time.Time
	UsedAt    *time.Time
}

func (emailTokenRow) TableName() string { return "email_tokens" }

func toEmailTokenRow(t domain.EmailToken) emailTokenRow {
	return emailTokenRow{
		Hash: t.Hash[:], UserID: t.UserID, Purpose: string(t.Purpose),
		CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, UsedAt: t.UsedAt,
	}
}

func (r emailTokenRow) toDomain() domain.EmailToken {
	t := domain.EmailToken{
		UserID: r.UserID, Purpose: domain.Purpose(r.Purpose),
		CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(), UsedAt: utc(r.UsedAt),
	}
	copy(t.Hash[:], r.Hash)
	return t
}

func insertEmailToken(tx *gorm.DB, t domain.EmailToken) error {
	row := toEmailTokenRow(t)
	if err := tx.Create(&row).Error; err != nil {
		return fmt.Errorf("insert email token: %w", err)
	}
	return nil
}

// CreateEmailToken implements app.EmailTokenStore.
func (s *Store) CreateEmailToken(ctx context.Context, t domain.EmailToken) error {
	return insertEmailToken(s.db.WithContext(ctx), t)
}

// VerifyEmail implements app.VerifyEmailStore.
func (s *Store) VerifyEmail(ctx context.Context, h domain.TokenHash, fn func(*domain.EmailToken, *domain.User) error) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		_, err := s.useEmailToken(tx, h, fn)
		return err
	})
}

// ResetPassword implements app.ResetPasswordStore.
func (s *Store) ResetPassword(ctx context.Context, h domain.TokenHash, now time.Time, fn func(*domain.EmailToken, *domain.User) error) ([]uuid.UUID, error) {
	var revoked []uuid.UUID
	err := s.tx(ctx, func(tx *gorm.DB) error {
		u, err := s.useEmailToken(tx, h, fn)
		if err != nil {
			return err
		}
		// Other reset links already mailed die with this one: a reset
		// must not be undone by an older link found later in the inbox.
		// Served by email_tokens_user_purpose_idx.
		if err := tx.Model(&emailTokenRow{}).
			Where("user_id = ? AND purpose = ? AND used_at IS NULL", u.ID, string(domain.PurposeReset)).
			Update("used_at", now).Error; err != nil {
			return fmt.Errorf("spend reset tokens: %w", err)
		}
		revoked, err = revokeUserSessions(tx, u.ID, uuid.Nil, now)
		return err
	})
	return revoked, err
}

// ChangePassword implements app.ChangePasswordStore.
func (s *Store) ChangePassword(ctx context.Context, id, keep uuid.UUID, now time.Time, fn func(*domain.User) error) ([]uuid.UUID, error) {
	var revoked []uuid.UUID
	err := s.tx(ctx, func(tx *gorm.DB) error {
		u, err := s.userWhere(tx.Clauses(forUpdate), "id = ?", id)
		if err != nil {
			return err
		}
		if err := fn(&u); err != nil {
			return err
		}
		if err := saveUser(tx, u); err != nil {
			return err
		}
		revoked, err = revokeUserSessions(tx, id, keep, now)
		return err
	})
	return revoked, err
}

// useEmailToken locks the token with hash h and its user, applies fn and
// saves both, inside tx. It returns the updated user.
func (s *Store) useEmailToken(tx *gorm.DB, h domain.TokenHash, fn func(*domain.EmailToken, *domain.User) error) (domain.User, error) {
	var row emailTokenRow
	if err := tx.Clauses(forUpdate).Where("hash = ?", h[:]).Take(&row).Error; err != nil {
		if notFound(err) {
			return domain.User{}, domain.ErrInvalidToken
		}
		return domain.User{}, fmt.Errorf("lock email token: %w", err)
	}
	u, err := s.userWhere(tx.Clauses(forUpdate), "id = ?", row.UserID)
	if err != nil {
		return domain.User{}, err
	}
	t := row.toDomain()
	if err := fn(&t, &u); err != nil {
		return domain.User{}, err
	}
	if err := tx.Model(&emailTokenRow{}).Where("hash = ?", h[:]).Update("used_at", t.UsedAt).Error; err != nil {
		return domain.User{}, fmt.Errorf("spend email token: %w", err)
	}
	return u, saveUser(tx, u)
}
