// Package postgres is the bots module's PostgreSQL adapter. A bot is two
// rows written in one transaction: its users row (is_bot, a reserved
// address, no usable password hash) and its bots row.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/chatforge/chat/modules/bots/internal/app"
	"github.com/chatforge/chat/modules/bots/internal/domain"
	"github.com/chatforge/chat/platform/database"
)

// noPassword is the password_hash of a bot: not a PHC string, so it matches
// no password even if a bot's row ever reached a password check.
const noPassword = "!bot"

// Store implements app.Store. Safe for concurrent use.
type Store struct{ db *gorm.DB }

var _ app.Store = (*Store)(nil)

// New returns a Store over db.
func New(db *gorm.DB) *Store { return &Store{db: db} }

const selectBots = `SELECT b.user_id, b.owner_id, u.display_name, b.token_hash, b.created_at, b.revoked_at
	FROM bots b JOIN users u ON u.id = b.user_id`

type botRow struct {
	UserID      uuid.UUID
	OwnerID     uuid.UUID
	DisplayName string
	TokenHash   []byte
	CreatedAt   time.Time
	RevokedAt   *time.Time
}

func (r botRow) toDomain() domain.Bot {
	b := domain.Bot{ID: r.UserID, OwnerID: r.OwnerID, Name: r.DisplayName, CreatedAt: r.CreatedAt.UTC(), RevokedAt: r.RevokedAt}
	copy(b.TokenHash[:], r.TokenHash)
	if b.RevokedAt != nil {
		t := b.RevokedAt.UTC()
		b.RevokedAt = &t
	}
	return b
}

// Create implements app.Store.
func (s *Store) Create(ctx context.Context, b domain.Bot) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.Exec(`INSERT INTO users (id, email, display_name, password_hash, is_bot, created_at, updated_at)
			VALUES (?, ?, ?, ?, true, ?, ?)`, b.ID, b.Email(), b.Name, noPassword, b.CreatedAt, b.CreatedAt).Error
		if err != nil {
			return fmt.Errorf("insert bot user: %w", err)
		}
		err = tx.Exec(`INSERT INTO bots (user_id, owner_id, token_hash, created_at) VALUES (?, ?, ?, ?)`,
			b.ID, b.OwnerID, b.TokenHash[:], b.CreatedAt).Error
		if err != nil {
			return fmt.Errorf("insert bot: %w", err)
		}
		return nil
	})
}

// ByOwner implements app.Store, oldest first.
func (s *Store) ByOwner(ctx context.Context, owner uuid.UUID) ([]domain.Bot, error) {
	var rows []botRow
	if err := s.db.WithContext(ctx).Raw(selectBots+` WHERE b.owner_id = ? ORDER BY b.created_at, b.user_id`, owner).
		Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("select bots: %w", err)
	}
	out := make([]domain.Bot, len(rows))
	for i, r := range rows {
		out[i] = r.toDomain()
	}
	return out, nil
}

// Revoke implements app.Store.
func (s *Store) Revoke(ctx context.Context, owner, id uuid.UUID, now time.Time) (domain.Bot, error) {
	err := s.db.WithContext(ctx).Exec(`UPDATE bots SET revoked_at = COALESCE(revoked_at, ?) WHERE user_id = ? AND owner_id = ?`,
		now, id, owner).Error
	if err != nil {
		return domain.Bot{}, fmt.Errorf("revoke bot: %w", err)
	}
	return s.one(ctx, ` WHERE b.user_id = ? AND b.owner_id = ?`, id, owner)
}

// LiveByHash implements app.Store; served by bots_token_hash_key.
func (s *Store) LiveByHash(ctx context.Context, hash [32]byte) (domain.Bot, error) {
	return s.one(ctx, ` WHERE b.token_hash = ? AND b.revoked_at IS NULL`, hash[:])
}

func (s *Store) one(ctx context.Context, where string, args ...any) (domain.Bot, error) {
	var r botRow
	err := database.ScanRow(s.db.WithContext(ctx).Raw(selectBots+where, args...),
		&r.UserID, &r.OwnerID, &r.DisplayName, &r.TokenHash, &r.CreatedAt, &r.RevokedAt)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return domain.Bot{}, domain.ErrNotFound
	case err != nil:
		return domain.Bot{}, fmt.Errorf("select bot: %w", err)
	}
	return r.toDomain(), nil
}

// All implements app.Store. Bots are few (people create them by hand), so
// one read holds them all.
func (s *Store) All(ctx context.Context, fn func(domain.Bot) error) error {
	var rows []botRow
	if err := s.db.WithContext(ctx).Raw(selectBots + ` ORDER BY b.user_id`).Scan(&rows).Error; err != nil {
		return fmt.Errorf("select bots: %w", err)
	}
	for _, r := range rows {
		if err := fn(r.toDomain()); err != nil {
			return err
		}
	}
	return nil
}
