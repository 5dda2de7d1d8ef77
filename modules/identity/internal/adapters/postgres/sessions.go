package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/chatforge/chat/modules/identity/internal/domain"
)

// maxListedSessions caps ListSessions: every login opens a session, and a
// script logging in in a loop must not make the list unbounded.
const maxListedSessions = 100

type sessionRow struct {
	ID         uuid.UUID `gorm:"primaryKey"`
	UserID     uuid.UUID
	UserAgent  string
	DeviceName string
	IP         string    `gorm:"column:ip"`
	CreatedAt  time.Time `gorm:"autoCreateTime:false"`
	LastUsedAt time.Time
	ExpiresAt  time.Time
	RevokedAt  *time.Time
}

func (sessionRow) TableName() string { return "sessions" }

func toSessionRow(s domain.Session) sessionRow {
	return sessionRow{
		ID: s.ID, UserID: s.UserID, UserAgent: s.UserAgent, DeviceName: s.DeviceName, IP: s.IP,
		CreatedAt: s.CreatedAt, LastUsedAt: s.LastUsedAt, ExpiresAt: s.ExpiresAt, RevokedAt: s.RevokedAt,
	}
}

func (r sessionRow) toDomain() domain.Session {
	return domain.Session{
		ID: r.ID, UserID: r.UserID, UserAgent: r.UserAgent, DeviceName: r.DeviceName, IP: r.IP,
		CreatedAt: r.CreatedAt.UTC(), LastUsedAt: r.LastUsedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(), RevokedAt: utc(r.RevokedAt),
	}
}

// CreateSession implements app.LoginStore.
func (s *Store) CreateSession(ctx context.Context, sess domain.Session, first domain.RefreshToken) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		row := toSessionRow(sess)
		if err := tx.Create(&row).Error; err != nil {
			return fmt.Errorf("insert session: %w", err)
		}
		return insertRefreshToken(tx, first)
	})
}

// ListSessions implements app.SessionStore. Served by sessions_user_live_idx.
func (s *Store) ListSessions(ctx context.Context, userID uuid.UUID, now time.Time) ([]domain.Session, error) {
	var rows []sessionRow
	err := s.db.WithContext(ctx).
		Where("user_id = ? AND revoked_at IS NULL AND expires_at > ?", userID, now).
		Order("created_at DESC, id DESC").Limit(maxListedSessions).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	out := make([]domain.Session, len(rows))
	for i, r := range rows {
		out[i] = r.toDomain()
	}
	return out, nil
}

// RevokeSession implements app.SessionStore. The user_id condition is what
// keeps one user from revoking another's session.
func (s *Store) RevokeSession(ctx context.Context, userID, id uuid.UUID, now time.Time) error {
	res := s.db.WithContext(ctx).Model(&sessionRow{}).
		Where("id = ? AND user_id = ? AND revoked_at IS NULL AND expires_at > ?", id, userID, now).
		Update("revoked_at", now)
	if res.Error != nil {
		return fmt.Errorf("revoke session: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return domain.ErrSessionNotFound
	}
	return nil
}

// revokeUserSessions revokes every live session of userID except keep
// (uuid.Nil keeps none) and returns their IDs, inside tx.
func revokeUserSessions(tx *gorm.DB, userID, keep uuid.UUID, now time.Time) ([]uuid.UUID, error) {
	var rows []struct{ ID uuid.UUID }
	err := tx.Raw(`UPDATE sessions SET revoked_at = ?
		WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ? AND id <> ?
		RETURNING id`, now, userID, now, keep).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("revoke user sessions: %w", err)
	}
	ids := make([]uuid.UUID, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	return ids, nil
}

// RevokedSince implements app.RevokedSessionStore: the sessions revoked
// after since, with when. Served by sessions_revoked_at_idx.
func (s *Store) RevokedSince(ctx context.Context, since time.Time) (map[uuid.UUID]time.Time, error) {
	var rows []struct {
		ID        uuid.UUID
		RevokedAt time.Time
	}
	err := s.db.WithContext(ctx).Table("sessions").Select("id, revoked_at").
		Where("revoked_at > ?", since).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list revoked sessions: %w", err)
	}
	out := make(map[uuid.UUID]time.Time, len(rows))
	for _, r := range rows {
		out[r.ID] = r.RevokedAt.UTC()
	}
	return out, nil
}
