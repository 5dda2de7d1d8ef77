// Package postgres is the webhooks module's PostgreSQL adapter (table
// room_webhooks). It also answers the room-role question from the
// messaging schema's memberships table, read-only.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/chatforge/chat/modules/webhooks/internal/app"
	"github.com/chatforge/chat/modules/webhooks/internal/domain"
	"github.com/chatforge/chat/platform/database"
)

// Store implements app.Store, app.DeliveryStore and app.Rooms. Safe for
// concurrent use.
type Store struct{ db *gorm.DB }

var (
	_ app.Store         = (*Store)(nil)
	_ app.DeliveryStore = (*Store)(nil)
	_ app.Rooms         = (*Store)(nil)
)

// New returns a Store over db.
func New(db *gorm.DB) *Store { return &Store{db: db} }

// columns reads events as "a,b": the event names are validated words
// (domain.NewWebhook), so no quoting is needed either way.
const columns = `id, room_id, created_by, url, array_to_string(events, ',') AS events, secret, failures, last_error, disabled_at, created_at`

// eventsLiteral is the text[] literal of validated event names.
func eventsLiteral(events []string) string { return "{" + strings.Join(events, ",") + "}" }

type row struct {
	ID         uuid.UUID
	RoomID     uuid.UUID
	CreatedBy  uuid.UUID
	URL        string
	Events     string
	Secret     string
	Failures   int
	LastError  string
	DisabledAt *time.Time
	CreatedAt  time.Time
}

func (r row) toDomain() domain.Webhook {
	w := domain.Webhook{ID: r.ID, RoomID: r.RoomID, CreatedBy: r.CreatedBy, URL: r.URL, Events: strings.Split(r.Events, ","),
		Secret: r.Secret, Failures: r.Failures, LastError: r.LastError, CreatedAt: r.CreatedAt.UTC()}
	if r.DisabledAt != nil {
		t := r.DisabledAt.UTC()
		w.DisabledAt = &t
	}
	return w
}

func (s *Store) list(ctx context.Context, where string, args ...any) ([]domain.Webhook, error) {
	var rows []row
	if err := s.db.WithContext(ctx).Raw(`SELECT `+columns+` FROM room_webhooks WHERE `+where+` ORDER BY id`, args...).
		Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("select webhooks: %w", err)
	}
	out := make([]domain.Webhook, len(rows))
	for i, r := range rows {
		out[i] = r.toDomain()
	}
	return out, nil
}

func (s *Store) one(ctx context.Context, where string, args ...any) (domain.Webhook, error) {
	ws, err := s.list(ctx, where, args...)
	if err != nil {
		return domain.Webhook{}, err
	}
	if len(ws) == 0 {
		return domain.Webhook{}, domain.ErrNotFound
	}
	return ws[0], nil
}

// Create implements app.Store. The room row is locked while counting, so
// two concurrent creations cannot both pass the limit.
func (s *Store) Create(ctx context.Context, w domain.Webhook) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := database.ScanRow(tx.Raw(`SELECT count(*) FROM room_webhooks
			WHERE room_id = (SELECT id FROM rooms WHERE id = ? FOR NO KEY UPDATE)`, w.RoomID), &n); err != nil {
			return fmt.Errorf("count webhooks: %w", err)
		}
		if n >= domain.MaxPerRoom {
			return domain.ErrTooMany
		}
		err := tx.Exec(`INSERT INTO room_webhooks (id, room_id, created_by, url, events, secret, created_at)
			VALUES (?, ?, ?, ?, CAST(? AS text[]), ?, ?)`, w.ID, w.RoomID, w.CreatedBy, w.URL, eventsLiteral(w.Events), w.Secret, w.CreatedAt).Error
		if err != nil {
			return fmt.Errorf("insert webhook: %w", err)
		}
		return nil
	})
}

// ByRoom implements app.Store.
func (s *Store) ByRoom(ctx context.Context, room uuid.UUID) ([]domain.Webhook, error) {
	return s.list(ctx, `room_id = ?`, room)
}

// Delete implements app.Store.
func (s *Store) Delete(ctx context.Context, room, id uuid.UUID) error {
	res := s.db.WithContext(ctx).Exec(`DELETE FROM room_webhooks WHERE id = ? AND room_id = ?`, id, room)
	if res.Error != nil {
		return fmt.Errorf("delete webhook: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return domain.ErrNotFound
	}
	return nil
}

// Enable implements app.Store.
func (s *Store) Enable(ctx context.Context, room, id uuid.UUID) (domain.Webhook, error) {
	err := s.db.WithContext(ctx).Exec(`UPDATE room_webhooks SET disabled_at = NULL, failures = 0, last_error = ''
		WHERE id = ? AND room_id = ?`, id, room).Error
	if err != nil {
		return domain.Webhook{}, fmt.Errorf("enable webhook: %w", err)
	}
	return s.one(ctx, `id = ? AND room_id = ?`, id, room)
}

// LiveByRoom implements app.DeliveryStore (served by room_webhooks_room_idx).
func (s *Store) LiveByRoom(ctx context.Context, room uuid.UUID) ([]domain.Webhook, error) {
	return s.list(ctx, `room_id = ? AND disabled_at IS NULL`, room)
}

// ByID implements app.DeliveryStore.
func (s *Store) ByID(ctx context.Context, id uuid.UUID) (domain.Webhook, error) {
	return s.one(ctx, `id = ?`, id)
}

// Succeeded implements app.DeliveryStore; it writes only when there was a
// failure to forget.
func (s *Store) Succeeded(ctx context.Context, id uuid.UUID) error {
	err := s.db.WithContext(ctx).Exec(`UPDATE room_webhooks SET failures = 0 WHERE id = ? AND failures > 0`, id).Error
	if err != nil {
		return fmt.Errorf("webhook success: %w", err)
	}
	return nil
}

// Failed implements app.DeliveryStore in one statement: the count, the
// error and the disabling move together, and only the attempt that crosses
// the limit sees disabledNow.
func (s *Store) Failed(ctx context.Context, id uuid.UUID, reason string, disableAfter int, now time.Time) (domain.Webhook, bool, error) {
	if len(reason) > 500 {
		reason = reason[:500]
	}
	var r row
	var disabledNow bool
	err := database.ScanRow(s.db.WithContext(ctx).Raw(`
		WITH before AS (SELECT id, disabled_at FROM room_webhooks WHERE id = ? FOR NO KEY UPDATE)
		UPDATE room_webhooks w SET failures = w.failures + 1, last_error = ?,
			disabled_at = CASE WHEN w.disabled_at IS NULL AND w.failures + 1 >= ? THEN ? ELSE w.disabled_at END
		FROM before WHERE w.id = before.id
		RETURNING w.id, w.room_id, w.created_by, w.url, array_to_string(w.events, ','), w.secret, w.failures, w.last_error, w.disabled_at, w.created_at,
			before.disabled_at IS NULL AND w.disabled_at IS NOT NULL`, id, reason, disableAfter, now),
		&r.ID, &r.RoomID, &r.CreatedBy, &r.URL, &r.Events, &r.Secret, &r.Failures, &r.LastError, &r.DisabledAt, &r.CreatedAt, &disabledNow)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return domain.Webhook{}, false, domain.ErrNotFound
	case err != nil:
		return domain.Webhook{}, false, fmt.Errorf("webhook failure: %w", err)
	}
	return r.toDomain(), disabledNow, nil
}

// Role implements app.Rooms from memberships (the messaging schema).
func (s *Store) Role(ctx context.Context, userID, roomID uuid.UUID) (string, error) {
	var role string
	err := database.ScanRow(s.db.WithContext(ctx).Raw(`SELECT role FROM memberships WHERE room_id = ? AND user_id = ?`,
		roomID, userID), &role)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("select role: %w", err)
	}
	return role, nil
}

// RoomOwner returns the room's owner: id, e-mail and display name.
func (s *Store) RoomOwner(ctx context.Context, room uuid.UUID) (app.Owner, error) {
	var o app.Owner
	err := database.ScanRow(s.db.WithContext(ctx).Raw(`SELECT u.id, u.email, u.display_name
		FROM rooms r JOIN users u ON u.id = r.owner_id WHERE r.id = ?`, room), &o.UserID, &o.Email, &o.DisplayName)
	if errors.Is(err, sql.ErrNoRows) {
		return app.Owner{}, domain.ErrNotFound
	}
	if err != nil {
		return app.Owner{}, fmt.Errorf("select room owner: %w", err)
	}
	return o, nil
}
