package postgres

import (
	"context"

	"gorm.io/gorm"

	"github.com/chatforge/chat/modules/messaging/internal/app"
	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// relayLockKey is the transaction-level advisory lock that lets one relay
// drain at a time across every api process ("chatrely" in ASCII). One
// drainer publishing in outbox id order keeps each room's events in order.
const relayLockKey int64 = 0x6368617472656c79

// Drain implements app.Outbox. publish runs inside the transaction: if the
// process dies after publishing and before commit, the records stay pending
// and are published again (consumers drop the duplicate by event id).
func (s *Store) Drain(ctx context.Context, n int, publish func(context.Context, []domain.Record) error) (int, error) {
	count := 0
	err := s.tx(ctx, func(tx *gorm.DB) error {
		// synchronous_commit off: this transaction only marks records
		// published, so its commit need not wait for the WAL flush (the
		// relay waited one flush per drain, on the path of every event). A
		// mark lost in a database crash republishes its records, which the
		// consumers drop by event id as after any failed commit.
		var locked bool
		if err := tx.Raw(`SELECT pg_try_advisory_xact_lock(?) FROM set_config('synchronous_commit', 'off', true)`,
			relayLockKey).Row().Scan(&locked); err != nil || !locked {
			return err // not locked: another relay is draining
		}
		var rows []struct {
			ID      int64
			EventID string
			RoomID  string
			Type    string
			Payload string
		}
		if err := tx.Raw(`SELECT id, event_id, room_id, type, payload::text AS payload FROM outbox
			WHERE published_at IS NULL ORDER BY id LIMIT ? FOR UPDATE`, n).Scan(&rows).Error; err != nil || len(rows) == 0 {
			return err
		}
		// Record this relay as the last publisher; if another was (it may
		// have appended records and died before its commit), say so.
		var prev string
		if err := tx.Raw(`WITH old AS (SELECT holder FROM outbox_relay WHERE id), up AS (
				INSERT INTO outbox_relay (id, holder) VALUES (true, ?)
				ON CONFLICT (id) DO UPDATE SET holder = EXCLUDED.holder
				WHERE outbox_relay.holder IS DISTINCT FROM EXCLUDED.holder -- no row version per drain
			)
			SELECT COALESCE((SELECT holder FROM old), '')`, s.relayID).Row().Scan(&prev); err != nil {
			return err
		}
		if prev != s.relayID {
			ctx = app.WithTakeover(ctx)
		}
		recs := make([]domain.Record, len(rows))
		ids := make([]int64, len(rows))
		for i, r := range rows {
			recs[i] = domain.Record{OutboxID: r.ID, EventID: r.EventID, Type: domain.EventType(r.Type), RoomID: r.RoomID, Data: []byte(r.Payload)}
			ids[i] = r.ID
		}
		if err := publish(ctx, recs); err != nil {
			return err
		}
		// Exactly the published ids: a lower id committed meanwhile by
		// another room's transaction stays pending for the next round.
		if err := tx.Exec(`UPDATE outbox SET published_at = now() WHERE id = ANY(?::bigint[])`, int64s(ids)).Error; err != nil {
			return err
		}
		count = len(rows)
		return nil
	})
	return count, err
}
