package housekeeping

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/chatforge/chat/modules/messaging"
)

// sessionGrace keeps expired and revoked sessions a while: a user may still
// want to see "signed out on ..." and reuse detection of a stolen refresh
// token needs the spent token rows.
const sessionGrace = 7 * 24 * time.Hour

// tokenGrace keeps spent and expired e-mail tokens a day, so "this link was
// already used" can be told apart from "unknown link" for a while.
const tokenGrace = 24 * time.Hour

// Sessions deletes sessions that expired, or were revoked, more than
// sessionGrace ago. Their refresh tokens and push subscriptions go with
// them (ON DELETE CASCADE). LEAST skips NULLs: the filter is "expires_at <
// cutoff OR revoked_at < cutoff", written as the expression of
// sessions_purge_idx (migration 00005) so each batch is an index range scan.
func (h *Housekeeper) Sessions(ctx context.Context) (int64, error) {
	return h.batched(ctx, purgeSessionsSQL, h.now().Add(-sessionGrace), Batch)
}

// purgeSessionsSQL deletes one batch of dead sessions: cutoff, batch size.
const purgeSessionsSQL = `DELETE FROM sessions WHERE id IN (
	SELECT id FROM sessions WHERE LEAST(expires_at, revoked_at) < ? LIMIT ?)`

// EmailTokens deletes e-mail tokens used or expired more than tokenGrace
// ago.
func (h *Housekeeper) EmailTokens(ctx context.Context) (int64, error) {
	cutoff := h.now().Add(-tokenGrace)
	return h.batched(ctx, `DELETE FROM email_tokens WHERE hash IN (
		SELECT hash FROM email_tokens WHERE used_at < ? OR expires_at < ? LIMIT ?)`, cutoff, cutoff, Batch)
}

// EmailLedger deletes idempotency rows older than EmailLedgerRetention.
func (h *Housekeeper) EmailLedger(ctx context.Context) (int64, error) {
	cutoff := h.now().Add(-h.cfg.EmailLedgerRetention)
	return h.batched(ctx, `DELETE FROM sent_emails WHERE key IN (
		SELECT key FROM sent_emails WHERE created_at < ? LIMIT ?)`, cutoff, Batch)
}

// Streams trims every event stream to the entries of the last
// StreamRetention (XTRIM MINID: stream ids start with their millisecond
// time). The writers' MAXLEN caps size; this caps age, so a quiet system
// does not keep months of events. "~" lets Redis trim whole nodes only.
func (h *Housekeeper) Streams(ctx context.Context) (int64, error) {
	minID := strconv.FormatInt(h.now().Add(-h.cfg.StreamRetention).UnixMilli(), 10) + "-0"
	var total int64
	for p := range h.cfg.StreamPartitions {
		key := messaging.StreamKey(p)
		n, err := h.rdb.XTrimMinIDApprox(ctx, key, minID, 0).Result()
		if err != nil {
			return total, fmt.Errorf("xtrim %s: %w", key, err)
		}
		total += n
	}
	return total, nil
}

// batched runs a bounded DELETE until it removes fewer than Batch rows.
func (h *Housekeeper) batched(ctx context.Context, sql string, args ...any) (int64, error) {
	var total int64
	for {
		res := h.db.WithContext(ctx).Exec(sql, args...)
		if res.Error != nil {
			return total, res.Error
		}
		total += res.RowsAffected
		if res.RowsAffected < Batch {
			return total, nil
		}
	}
}
