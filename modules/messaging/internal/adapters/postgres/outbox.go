package postgres

import (
	"cmp"
	"context"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/chatforge/chat/modules/messaging/internal/app"
	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// relayLockKey is the transaction-level advisory lock that lets one relay
// drain at a time across every api process ("chatrely" in ASCII). One
// drainer publishing in outbox id order keeps each room's events in order.
const relayLockKey int64 = 0x6368617472656c79

// drainLockSQL starts a drain: the relay lock, and settings for this
// transaction only.
//
// synchronous_commit off: the transaction only removes published records,
// so its commit need not wait for the WAL flush (the relay waited one
// flush per drain, on the path of every event). A delete lost in a
// database crash republishes its records, which the consumers drop by
// event id as after any failed commit.
//
// No bitmap or sequential scan: every drain leaves its rows dead until
// vacuum, and with tens of thousands of them (a minute at 2,000 msgs/s;
// autovacuum wakes once a minute) the planner took a bitmap scan, which
// visits every dead row's heap page on every drain: 12 ms per drain with
// 46,000, most of PostgreSQL's CPU under load, growing until vacuum. An
// index scan in id order marks dead entries as it passes them, so the
// next drain skips them in the index (0.1 ms with the same 46,000).
const drainLockSQL = `SELECT pg_try_advisory_xact_lock(?)
	FROM set_config('synchronous_commit', 'off', true) a, set_config('enable_bitmapscan', 'off', true) b,
		set_config('enable_seqscan', 'off', true) c`

// drainSQL takes up to n pending records (deleting them) and records the
// relay holder (see Drain).
//
// The pending ids are locked and collected by an InitPlan (ARRAY(SELECT
// ... LIMIT n FOR UPDATE)), then deleted through the primary key with
// id = ANY: a plan without a join, so its cost is n index probes whatever
// the backlog and whatever the statistics. The former form, DELETE ...
// WHERE id IN (SELECT ... FOR UPDATE), is a semi join whose shape the
// planner picks from the statistics: a merge join walking outbox_pkey, a
// hash join reading every row, or a nested loop rescanning the locking
// subquery per outer row; the last made each drain slower as the backlog
// grew (1,159 rows in 1.84 s) until it passed the statement timeout for
// good.
//
// A message.created record younger than the grace (a make_interval in
// seconds; 0 when the committers do not publish) is left to the process
// that committed it (PublishOnCommit); it is skipped, not waited for.
// The relay takes it once the grace is over (its committer died or
// failed to publish) and the streams drop it if it was published.
const drainSQL = `WITH old AS (SELECT holder FROM outbox_relay WHERE id), taken AS (
		DELETE FROM outbox WHERE id = ANY(ARRAY(
			SELECT id FROM outbox WHERE published_at IS NULL
				AND (type <> 'message.created' OR created_at < clock_timestamp() - make_interval(secs => ?))
			ORDER BY id LIMIT ? FOR UPDATE))
		RETURNING id, event_id, room_id, type, payload, created_at, trace, seq
	), up AS (
		INSERT INTO outbox_relay (id, holder) SELECT true, ? WHERE EXISTS (SELECT FROM taken)
		ON CONFLICT (id) DO UPDATE SET holder = EXCLUDED.holder
		WHERE outbox_relay.holder IS DISTINCT FROM EXCLUDED.holder -- no row version per drain
	)
	SELECT id, event_id, room_id, type, payload::text AS payload, created_at, COALESCE(trace, '') AS trace, COALESCE((SELECT holder FROM old), '') AS prev,
		COALESCE(seq, 0) AS seq
	FROM taken`

// Drain implements app.Outbox. The records are deleted in the transaction
// that publishes them: publish runs before the commit, so a publish error
// rolls the delete back and the records stay pending, in order; if the
// process dies after publishing and before the commit, they are published
// again (consumers drop the duplicate by event id). Deleting instead of
// marking them published writes no new row version per event, and the
// table stays as small as the backlog.
func (s *Store) Drain(ctx context.Context, n int, publish func(context.Context, []domain.Record) error) (int, error) {
	count := 0
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var locked bool
		if err := tx.Raw(drainLockSQL, relayLockKey).Scan(&locked).Error; err != nil || !locked {
			return err // not locked: another relay is draining
		}
		// One statement takes the oldest pending records and, if there
		// are any, records this relay as the last publisher, returning the
		// previous one (which may have appended records and died before
		// its commit). The rows come back in no particular order; they are
		// sorted below. A lower id committed meanwhile by another room's
		// transaction is not in the snapshot and stays pending for the
		// next round.
		var rows []drainedRow
		if err := tx.Raw(drainSQL, s.relayGrace.Seconds(), n, s.relayID).Scan(&rows).Error; err != nil || len(rows) == 0 {
			return err
		}
		if rows[0].Prev != s.relayID {
			ctx = app.WithTakeover(ctx)
		}
		slices.SortFunc(rows, func(a, b drainedRow) int { return cmp.Compare(a.ID, b.ID) })
		recs := make([]domain.Record, len(rows))
		for i, r := range rows {
			recs[i] = domain.Record{OutboxID: r.ID, EventID: r.EventID, Type: domain.EventType(r.Type), RoomID: r.RoomID, Data: []byte(r.Payload), At: r.CreatedAt,
				Trace: r.Trace, Seq: r.Seq}
		}
		if err := publish(ctx, recs); err != nil {
			return err
		}
		count = len(rows)
		return nil
	})
	return count, err
}

// drainedRow is an outbox record as Drain takes it, with the relay that
// published before this drain (the same on every row).
type drainedRow struct {
	ID        int64
	EventID   string
	RoomID    string
	Type      string
	Payload   string
	CreatedAt time.Time
	Trace     string
	Prev      string
	Seq       int64
}

// PublishOnCommit makes Append and AppendBatch give the message.created
// records of each commit to publish, right after the commit, on the
// caller's goroutine, and makes the relay leave such records to it for
// grace. Call it before any use.
func (s *Store) PublishOnCommit(publish func(context.Context, []domain.Record), grace time.Duration) {
	s.onCommit, s.relayGrace = publish, grace
}

func (s *Store) committed(ctx context.Context, recs []domain.Record) {
	if s.onCommit != nil && len(recs) > 0 {
		s.onCommit(ctx, recs)
	}
}

// UnpublishedFloor implements app.PublishedOutbox. Rare (once per room
// new to the streams), so a scan of the outbox, which holds only what is
// not yet published, is fine.
func (s *Store) UnpublishedFloor(ctx context.Context, rooms []string) (map[string]int64, error) {
	var rows []struct {
		RoomID string
		Min    int64
	}
	err := s.db.WithContext(ctx).Raw(`SELECT room_id::text AS room_id, min(seq) AS min FROM outbox
		WHERE room_id = ANY(CAST(? AS uuid[])) AND seq IS NOT NULL GROUP BY room_id`, texts(rooms)).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.RoomID] = r.Min
	}
	return out, nil
}

// RemovePublished implements app.PublishedOutbox: it deletes the records
// ids, published by their committer, so the relay does not publish them
// again. Rows the relay took meanwhile are gone already. Its commit need
// not wait for the WAL flush: a delete lost in a crash only has the relay
// publish the records again, which the streams drop (see Drain).
func (s *Store) RemovePublished(ctx context.Context, ids []int64) error {
	return s.db.WithContext(ctx).Exec(`WITH a AS (SELECT set_config('synchronous_commit', 'off', true))
		DELETE FROM outbox WHERE id = ANY(CAST(? AS bigint[])) AND EXISTS (SELECT FROM a)`, int64s(ids)).Error
}

// OutboxLag returns how long ago the oldest pending record was written (0
// when none is): how far the relay is behind. One probe of
// outbox_pending_idx, whatever the backlog.
func (s *Store) OutboxLag(ctx context.Context) (time.Duration, error) {
	var at []time.Time
	err := s.db.WithContext(ctx).Raw(`SELECT created_at FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT 1`).Scan(&at).Error
	if err != nil || len(at) == 0 {
		return 0, err
	}
	return max(s.now().Sub(at[0]), 0), nil
}
