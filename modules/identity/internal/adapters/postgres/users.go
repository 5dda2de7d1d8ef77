package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/chatforge/chat/modules/identity/internal/domain"
	"github.com/chatforge/chat/platform/database"
)

// userRow is a row of users. Timestamps are set by the domain, never by
// gorm (autoCreateTime/autoUpdateTime off), so the clock stays injectable.
type userRow struct {
	ID              uuid.UUID `gorm:"primaryKey"`
	Email           string
	DisplayName     string
	PasswordHash    string
	EmailVerifiedAt *time.Time
	IsBot           bool      `gorm:"->"` // read-only here: the bots module sets it
	CreatedAt       time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt       time.Time `gorm:"autoUpdateTime:false"`
}

func (userRow) TableName() string { return "users" }

func toUserRow(u domain.User) userRow {
	return userRow{
		ID: u.ID, Email: u.Email.String(), DisplayName: u.DisplayName.String(), PasswordHash: u.PasswordHash,
		EmailVerifiedAt: u.EmailVerifiedAt, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
	}
}

func (r userRow) toDomain() domain.User {
	return domain.User{
		ID: r.ID, Email: domain.Email(r.Email), DisplayName: domain.DisplayName(r.DisplayName), PasswordHash: r.PasswordHash,
		EmailVerifiedAt: utc(r.EmailVerifiedAt), IsBot: r.IsBot, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
}

// CreateUser implements app.RegisterStore.
func (s *Store) CreateUser(ctx context.Context, u domain.User, verify domain.EmailToken) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		row := toUserRow(u)
		if err := tx.Create(&row).Error; err != nil {
			if uniqueViolation(err) {
				return domain.ErrEmailTaken
			}
			return fmt.Errorf("insert user: %w", err)
		}
		return insertEmailToken(tx, verify)
	})
}

// UserByEmail implements app.LoginStore. Served by users_email_key.
func (s *Store) UserByEmail(ctx context.Context, email domain.Email) (domain.User, error) {
	return s.userWhere(s.db.WithContext(ctx), "email = ?", email.String())
}

// UserByID implements app.ProfileStore. It is on the hot path of every
// profile read, so it scans the row explicitly: gorm's reflective Take
// cost more CPU than the query itself.
func (s *Store) UserByID(ctx context.Context, id uuid.UUID) (domain.User, error) {
	var r userRow
	err := database.ScanRow(s.db.WithContext(ctx).Raw(`SELECT id, email, display_name, password_hash, email_verified_at, is_bot, created_at, updated_at
		FROM users WHERE id = ?`, id),
		&r.ID, &r.Email, &r.DisplayName, &r.PasswordHash, &r.EmailVerifiedAt, &r.IsBot, &r.CreatedAt, &r.UpdatedAt)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return domain.User{}, domain.ErrUserNotFound
	case err != nil:
		return domain.User{}, fmt.Errorf("select user: %w", err)
	}
	return r.toDomain(), nil
}

// UpdateUser implements app.ProfileStore.
func (s *Store) UpdateUser(ctx context.Context, id uuid.UUID, fn func(*domain.User) error) (domain.User, error) {
	var out domain.User
	err := s.tx(ctx, func(tx *gorm.DB) error {
		u, err := s.userWhere(tx.Clauses(forUpdate), "id = ?", id)
		if err != nil {
			return err
		}
		if err := fn(&u); err != nil {
			return err
		}
		out = u
		return saveUser(tx, u)
	})
	return out, err
}

func (s *Store) userWhere(db *gorm.DB, cond string, arg any) (domain.User, error) {
	var row userRow
	if err := db.Where(cond, arg).Take(&row).Error; err != nil {
		if notFound(err) {
			return domain.User{}, domain.ErrUserNotFound
		}
		return domain.User{}, fmt.Errorf("select user: %w", err)
	}
	return row.toDomain(), nil
}

// saveUser writes the mutable columns of u. The e-mail is immutable (no use
// case changes it), so it is not written.
func saveUser(tx *gorm.DB, u domain.User) error {
	r := toUserRow(u)
	err := tx.Model(&userRow{}).Where("id = ?", u.ID).Updates(map[string]any{
		"display_name": r.DisplayName, "password_hash": r.PasswordHash,
		"email_verified_at": r.EmailVerifiedAt, "updated_at": r.UpdatedAt,
	}).Error
	if err != nil {
		return fmt.Errorf("update user: %w", err)
	}
	return nil
}

// utc normalizes an optional time read back from the driver.
func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.UTC()
	return &v
}
