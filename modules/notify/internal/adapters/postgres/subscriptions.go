package postgres

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/chatforge/chat/modules/notify/internal/app"
	"github.com/chatforge/chat/modules/notify/internal/domain"
)

// subscriptionRow is a push_subscriptions row.
type subscriptionRow struct {
	ID            string     `gorm:"column:id;primaryKey"`
	UserID        string     `gorm:"column:user_id"`
	SessionID     string     `gorm:"column:session_id"`
	Endpoint      string     `gorm:"column:endpoint"`
	P256DH        string     `gorm:"column:p256dh"`
	Auth          string     `gorm:"column:auth"`
	UserAgent     string     `gorm:"column:user_agent"`
	CreatedAt     time.Time  `gorm:"column:created_at"`
	LastSuccessAt *time.Time `gorm:"column:last_success_at"`
}

func (subscriptionRow) TableName() string { return "push_subscriptions" }

func toRow(s domain.Subscription) subscriptionRow {
	return subscriptionRow{ID: s.ID, UserID: s.UserID, SessionID: s.SessionID, Endpoint: s.Endpoint, P256DH: s.P256DH, Auth: s.Auth,
		UserAgent: s.UserAgent, CreatedAt: s.CreatedAt}
}

func (r subscriptionRow) toDomain() domain.Subscription {
	s := domain.Subscription{ID: r.ID, UserID: r.UserID, SessionID: r.SessionID, Endpoint: r.Endpoint, P256DH: r.P256DH, Auth: r.Auth,
		UserAgent: r.UserAgent, CreatedAt: r.CreatedAt.UTC()}
	if r.LastSuccessAt != nil {
		s.LastSuccessAt = r.LastSuccessAt.UTC()
	}
	return s
}

// Subscriptions implements app.SubscriptionRepo and app.SubscriptionStore.
type Subscriptions struct{ db *gorm.DB }

var (
	_ app.SubscriptionRepo  = (*Subscriptions)(nil)
	_ app.SubscriptionStore = (*Subscriptions)(nil)
)

// NewSubscriptions returns the repository on db.
func NewSubscriptions(db *gorm.DB) *Subscriptions { return &Subscriptions{db: db} }

// liveSession is the condition on the sessions row "se" under which a
// subscription may be listed or pushed to: the session that registered it
// is neither revoked (logout, password reset, reuse detection) nor expired.
// now() is the database's clock, the one housekeeping also purges by.
const liveSession = `se.revoked_at IS NULL AND se.expires_at > now()`

// subscriptionColumns are the columns of a subscriptionRow, on alias p.
const subscriptionColumns = `p.id, p.user_id, p.session_id, p.endpoint, p.p256dh, p.auth, p.user_agent, p.created_at, p.last_success_at`

const upsertSQL = `
INSERT INTO push_subscriptions AS p (id, user_id, session_id, endpoint, p256dh, auth, user_agent, created_at)
VALUES (@id, @user, @session, @endpoint, @p256dh, @auth, @ua, @now)
ON CONFLICT (endpoint) DO UPDATE
   SET user_id = EXCLUDED.user_id, session_id = EXCLUDED.session_id,
       p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth, user_agent = EXCLUDED.user_agent,
       -- a new owner starts a new subscription; the same owner keeps its id and age
       created_at = CASE WHEN p.user_id = EXCLUDED.user_id
                         THEN p.created_at ELSE EXCLUDED.created_at END
RETURNING ` + subscriptionColumns

// deleteDeadSQL drops a user's subscriptions whose session is over; a row
// whose session was purged went already (ON DELETE CASCADE).
const deleteDeadSQL = `
DELETE FROM push_subscriptions p USING sessions se
WHERE p.user_id = ? AND se.id = p.session_id AND NOT (` + liveSession + `)`

// trimSQL drops a user's oldest subscriptions beyond the cap.
const trimSQL = `
DELETE FROM push_subscriptions WHERE id IN (
  SELECT id FROM push_subscriptions WHERE user_id = ?
  ORDER BY created_at DESC, id DESC OFFSET ?)`

// listLiveSQL returns a user's subscriptions of live sessions, newest first.
const listLiveSQL = `
SELECT ` + subscriptionColumns + ` FROM push_subscriptions p
JOIN sessions se ON se.id = p.session_id AND ` + liveSession + `
WHERE p.user_id = ?
ORDER BY p.created_at DESC, p.id DESC`

// Upsert implements app.SubscriptionRepo, in one transaction so the cap
// holds under concurrent registrations. The user's subscriptions of dead
// sessions go first, so they take no place under the cap.
func (r *Subscriptions) Upsert(ctx context.Context, s domain.Subscription) (domain.Subscription, error) {
	var out subscriptionRow
	err := r.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(deleteDeadSQL, s.UserID).Error; err != nil {
			return err
		}
		row := toRow(s)
		var rows []subscriptionRow
		err := tx.Raw(upsertSQL, map[string]any{
			"id": row.ID, "user": row.UserID, "session": row.SessionID, "endpoint": row.Endpoint,
			"p256dh": row.P256DH, "auth": row.Auth, "ua": row.UserAgent, "now": row.CreatedAt,
		}).Scan(&rows).Error
		if err != nil {
			return err
		}
		if len(rows) != 1 {
			return fmt.Errorf("upsert returned %d rows", len(rows))
		}
		out = rows[0]
		return tx.Exec(trimSQL, s.UserID, domain.MaxSubscriptionsPerUser).Error
	})
	if err != nil {
		return domain.Subscription{}, fmt.Errorf("store subscription: %w", err)
	}
	return out.toDomain(), nil
}

// ListByUser implements app.SubscriptionRepo: the subscriptions of the
// user's live sessions, newest first.
func (r *Subscriptions) ListByUser(ctx context.Context, userID string) ([]domain.Subscription, error) {
	out, err := r.listLive(r.db.WithContext(ctx), userID)
	if err != nil {
		return nil, fmt.Errorf("list subscriptions: %w", err)
	}
	return out, nil
}

// Deliverable implements app.SubscriptionStore: it deletes the user's
// subscriptions of dead sessions and returns the others, newest first.
func (r *Subscriptions) Deliverable(ctx context.Context, userID string) ([]domain.Subscription, error) {
	var out []domain.Subscription
	err := r.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(deleteDeadSQL, userID).Error; err != nil {
			return err
		}
		var err error
		out, err = r.listLive(tx, userID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("deliverable subscriptions: %w", err)
	}
	return out, nil
}

func (r *Subscriptions) listLive(db *gorm.DB, userID string) ([]domain.Subscription, error) {
	var rows []subscriptionRow
	if err := db.Raw(listLiveSQL, userID).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]domain.Subscription, len(rows))
	for i, row := range rows {
		out[i] = row.toDomain()
	}
	return out, nil
}

// Delete implements app.SubscriptionRepo.
func (r *Subscriptions) Delete(ctx context.Context, userID, id string) error {
	res := r.db.WithContext(ctx).Exec(`DELETE FROM push_subscriptions WHERE id = ? AND user_id = ?`, id, userID)
	if res.Error != nil {
		return fmt.Errorf("delete subscription: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return domain.ErrNotFound
	}
	return nil
}

// MarkSuccess implements app.SubscriptionStore.
func (r *Subscriptions) MarkSuccess(ctx context.Context, id string, at time.Time) error {
	return r.db.WithContext(ctx).Exec(`UPDATE push_subscriptions SET last_success_at = ? WHERE id = ?`, at, id).Error
}
