package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/chatforge/chat/modules/notify/internal/app"
	"github.com/chatforge/chat/modules/notify/internal/domain"
)

// Ledger implements app.Ledger on the sent_emails table.
type Ledger struct{ db *gorm.DB }

var _ app.Ledger = (*Ledger)(nil)

// NewLedger returns the ledger on db.
func NewLedger(db *gorm.DB) *Ledger { return &Ledger{db: db} }

// claimSQL takes the row in one statement, so two workers racing on the same
// key cannot both win: the conflict branch only updates (and so only
// returns a row) when the e-mail was not sent and nobody holds a fresh
// claim. A permanently failed e-mail may be claimed again: that happens only
// when an operator re-runs the archived task on purpose.
const claimSQL = `
INSERT INTO sent_emails (key, kind, user_id, recipient, message_id, status, attempts, claimed_at, created_at)
VALUES (@key, @kind, @user, @rcpt, @msgid, 'sending', 1, @now, @now)
ON CONFLICT (key) DO UPDATE
   SET status = 'sending', attempts = sent_emails.attempts + 1, claimed_at = EXCLUDED.claimed_at
 WHERE sent_emails.status <> 'sent'
   AND (sent_emails.status <> 'sending' OR sent_emails.claimed_at < @stale)
RETURNING key`

// Claim implements app.Ledger.
func (l *Ledger) Claim(ctx context.Context, e domain.Email, messageID string, now, staleBefore time.Time) (app.Claim, error) {
	var user *string
	if e.UserID != "" {
		user = &e.UserID
	}
	var keys []string
	err := l.db.WithContext(ctx).Raw(claimSQL, map[string]any{
		"key": e.Key, "kind": string(e.Kind), "user": user, "rcpt": e.To, "msgid": messageID,
		"now": now, "stale": staleBefore,
	}).Scan(&keys).Error
	if err != nil {
		return 0, fmt.Errorf("ledger claim: %w", err)
	}
	if len(keys) == 1 {
		return app.ClaimGranted, nil
	}
	var status string
	err = l.db.WithContext(ctx).Raw(`SELECT status FROM sent_emails WHERE key = ?`, e.Key).Scan(&status).Error
	switch {
	case err != nil:
		return 0, fmt.Errorf("ledger status: %w", err)
	case status == "sent":
		return app.ClaimAlreadySent, nil
	case status == "":
		// Deleted between the two statements (housekeeping); try again.
		return 0, errors.New("ledger: row vanished during claim")
	default:
		return app.ClaimBusy, nil
	}
}

// MarkSent implements app.Ledger.
func (l *Ledger) MarkSent(ctx context.Context, key string, now time.Time) error {
	err := l.db.WithContext(ctx).Exec(
		`UPDATE sent_emails SET status = 'sent', sent_at = ?, last_error = '' WHERE key = ?`, now, key).Error
	if err != nil {
		return fmt.Errorf("ledger mark sent: %w", err)
	}
	return nil
}

// MarkFailed implements app.Ledger.
func (l *Ledger) MarkFailed(ctx context.Context, key, reason string, _ time.Time) error {
	return l.setStatus(ctx, key, "failed", reason)
}

// Release implements app.Ledger.
func (l *Ledger) Release(ctx context.Context, key, reason string) error {
	return l.setStatus(ctx, key, "retry", reason)
}

// setStatus ends a claim; only a row still being sent changes. The reason
// is cut to keep rows small.
func (l *Ledger) setStatus(ctx context.Context, key, status, reason string) error {
	if len(reason) > 500 {
		reason = strings.ToValidUTF8(reason[:500], "")
	}
	err := l.db.WithContext(ctx).Exec(
		`UPDATE sent_emails SET status = ?, last_error = ? WHERE key = ? AND status = 'sending'`,
		status, reason, key).Error
	if err != nil {
		return fmt.Errorf("ledger %s: %w", status, err)
	}
	return nil
}
