package postgres

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/chatforge/chat/modules/messaging/internal/app"
	"github.com/chatforge/chat/modules/messaging/internal/domain"
	"github.com/chatforge/chat/platform/database"
)

// AppendBatch implements app.BatchAppender: the work of Append for many
// messages in one transaction of two statements, whatever the batch size,
// sent in two round trips (appendTx), so the commit (the WAL flush) and the
// round trips are paid once per batch.
//
//  1. Lock every room of the batch in id order (the row lock UPDATE
//     takes), advance each one's last_seq by its number of messages and
//     read the clock under the locks. Every batch takes its rooms in id
//     order, and a single Append, a receipt or a membership change takes
//     one room: no two transactions wait on each other in a cycle. The
//     messages are numbered in batch order up to the new last_seq.
//  2. Insert messages, read pointers and outbox rows in one statement.
//     Its snapshot is taken after the locks, so it re-checks that each
//     sender may still post (a membership removal holds the room lock).
//
// The invariants of Append hold: seqs come from last_seq under the room
// lock and a rollback undoes the increment (no gap, no duplicate); outbox
// rows are inserted in batch order under the room locks (per room: seq
// order, and commit order with every other transaction of the room).
//
// Resends are not looked up first (a round trip per batch for what is
// rare): statement 2 fails when it stores fewer messages than it was given
// (a resend of a stored client id, or a sender who lost membership since
// the use case checked), which rolls the transaction back. Then one lookup
// answers the resends and the others are stored again; what still fails
// (or a room gone) is stored one by one with Append, which sorts out each
// case.
func (s *Store) AppendBatch(ctx context.Context, msgs []domain.Message) ([]app.Appended, error) {
	out := make([]app.Appended, len(msgs))
	todo := make([]int, len(msgs))
	for i := range todo {
		todo[i] = i
	}
	for looked := false; ; looked = true {
		batch := make([]domain.Message, len(todo))
		for k, i := range todo {
			batch[k] = msgs[i]
		}
		done, recs, err := s.appendTx(ctx, batch)
		if errors.Is(err, errRollback) || isFKViolation(err) {
			if !looked {
				rest, err := s.resolveResends(ctx, msgs, todo, out)
				if err != nil {
					return nil, err
				}
				if len(rest) < len(todo) {
					if todo = rest; len(todo) == 0 {
						return out, nil
					}
					continue
				}
			}
			// In order: a later duplicate finds the earlier one stored. A
			// foreign key violation (a sender with no users row) fails the
			// whole statement: one by one, it fails only that message.
			for _, i := range todo {
				m, created, err := s.Append(ctx, msgs[i], nil)
				out[i] = app.Appended{Message: m, Created: created, Err: err}
			}
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		s.committed(ctx, recs)
		for k, i := range todo {
			out[i] = done[k]
		}
		return out, nil
	}
}

// batchPlan is what a batch stores: a repeated (user, client id) is not
// stored again but answers with its first message, whose seq it does not
// take.
type batchPlan struct {
	store []int            // indexes of the messages to insert, in batch order
	dupOf map[int]int      // index of a repeat -> index of its first message
	added map[string]int64 // room -> messages to insert in it
}

func planBatch(batch []domain.Message) batchPlan {
	p := batchPlan{dupOf: map[int]int{}, added: map[string]int64{}}
	first := make(map[[2]string]int) // (user, client id) -> index of its first message
	for k, m := range batch {
		if m.ClientMsgID != "" {
			key := [2]string{m.UserID, m.ClientMsgID}
			if f, ok := first[key]; ok {
				p.dupOf[k] = f
				continue
			}
			first[key] = k
		}
		p.added[m.RoomID]++
		p.store = append(p.store, k)
	}
	return p
}

// appendTx runs AppendBatch's transaction on a pooled connection's pgx
// connection, in two round trips instead of four: BEGIN with statement 1,
// then statement 2 with COMMIT (pipelined: the server runs a statement's
// successor only if it succeeded, so a failed statement 2 leaves the
// transaction to the ROLLBACK sent after it). Statement 2 fails itself
// (messaging_assert, SQLSTATE CH001, returned as errRollback) when it did
// not store every message, since its COMMIT is already on its way. It
// returns the outcomes and the outbox records written; batch holds no
// message already stored unless it fails with errRollback.
func (s *Store) appendTx(ctx context.Context, batch []domain.Message) (done []app.Appended, recs []domain.Record, err error) {
	p := planBatch(batch)
	begin := time.Now()
	err = s.withPgx(ctx, func(c *pgx.Conn) (err error) {
		open := false // a transaction may be open on c
		defer func() {
			if open {
				err = rollback(ctx, c, err)
			}
		}()
		ids := make([]string, 0, len(p.added))
		ns := make([]int64, 0, len(p.added))
		for id, n := range p.added {
			ids, ns = append(ids, id), append(ns, n)
		}
		b := &pgx.Batch{}
		b.Queue("BEGIN")
		b.Queue(genericPlans)
		b.Queue(advanceRoomsSQL, texts(ids), int64s(ns))
		open = true
		last, at, err := advanceRooms(c.SendBatch(ctx, b), len(ids))
		if err != nil {
			return err
		}
		// Number each room's messages in batch order, up to its new
		// last_seq and rev.
		next := make(map[string][2]int64, len(last))
		for room, l := range last {
			next[room] = [2]int64{l[0] - p.added[room], l[1] - p.added[room]}
		}
		for _, k := range p.store {
			room := batch[k].RoomID
			n := next[room]
			n[0]++
			n[1]++
			next[room] = n
			batch[k].Seq, batch[k].Rev, batch[k].CreatedAt = n[0], n[1], at
		}
		args, recs0, err := s.insertArgs(ctx, batch, p.store, at)
		if err != nil {
			return err
		}
		b = &pgx.Batch{}
		b.Queue(insertBatchSQL, args)
		b.Queue("COMMIT")
		if recs, err = insertBatch(c.SendBatch(ctx, b), recs0); err != nil {
			return err
		}
		open = false
		return nil
	})
	// Marked like gorm's errors (an outage is "unavailable", not a bug).
	err = database.Classify(err)
	// gorm's logger, as for every other statement: failed and slow ones.
	s.db.Logger.Trace(ctx, begin, func() (string, int64) { return "AppendBatch: " + insertBatchSQL, int64(len(p.store)) },
		ignoreRollback(err))
	if err != nil {
		return nil, nil, err
	}
	done = make([]app.Appended, len(batch))
	for _, k := range p.store {
		done[k] = app.Appended{Message: batch[k], Created: true}
	}
	for k, f := range p.dupOf {
		done[k] = app.Appended{Message: batch[f]}
	}
	return done, recs, nil
}

// rollback ends the transaction left open on c by a failed appendTx and
// returns err. A connection that cannot roll back is returned to the pool
// as bad (driver.ErrBadConn), so it is closed rather than reused inside a
// transaction.
func rollback(ctx context.Context, c *pgx.Conn, err error) error {
	if c.IsClosed() {
		return err
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, rerr := c.Exec(rctx, "ROLLBACK"); rerr != nil {
		return errors.Join(err, driver.ErrBadConn)
	}
	return err
}

// ignoreRollback is err for the statement log, nil for errRollback (an
// outcome, not a failure).
func ignoreRollback(err error) error {
	if errors.Is(err, errRollback) {
		return nil
	}
	return err
}

// advanceRoomsSQL locks the rooms $1 in id order and moves each one's
// last_seq and rev forward by its count in $2, in one statement, and
// returns their new last_seq and rev and the database clock read under
// the locks.
//
// The MATERIALIZED CTE locks the rows as its sort returns them, so in id
// order, and the UPDATE touches only rows it returned, hence already
// locked. A row that another transaction changed while this one waited is
// updated from its newest version (READ COMMITTED re-reads it), so
// last_seq + n is exact.
const advanceRoomsSQL = `WITH locked AS MATERIALIZED (
		SELECT id FROM rooms WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE
	)
	UPDATE rooms r SET last_seq = r.last_seq + d.n, rev = r.rev + d.n
	FROM locked JOIN unnest($1::uuid[], $2::bigint[]) AS d(id, n) ON d.id = locked.id
	WHERE r.id = locked.id
	RETURNING r.id::text, r.last_seq, r.rev, clock_timestamp()`

// genericPlans makes the rest of a transaction run its prepared statements
// on their cached generic plans. PostgreSQL kept planning the batch's
// insert and the access query afresh on every execution (0.3-0.4 ms each,
// a tenth of the database's core at 500 msgs/s): their parameters are
// arrays, whose custom plans it estimates cheaper than a generic one
// guessing ten elements, though the plans are the same index probes.
const genericPlans = "SET LOCAL plan_cache_mode = force_generic_plan"

// advanceRooms reads the results of BEGIN, genericPlans and advanceRoomsSQL for rooms
// rooms: each room's new last_seq and rev, and the clock in UTC (the
// latest reading: one timestamp for the whole batch, never before any
// earlier message of these rooms). errRollback when a room is gone (it was
// deleted since the use case checked): the one-by-one fallback answers its
// messages.
func advanceRooms(br pgx.BatchResults, rooms int) (last map[string][2]int64, at time.Time, err error) {
	defer func() {
		if cerr := br.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	for range 2 { // BEGIN, genericPlans
		if _, err := br.Exec(); err != nil {
			return nil, time.Time{}, err
		}
	}
	rows, err := br.Query()
	if err != nil {
		return nil, time.Time{}, err
	}
	defer rows.Close()
	last = make(map[string][2]int64, rooms)
	for rows.Next() {
		var (
			id       string
			seq, rev int64
			t        time.Time
		)
		if err := rows.Scan(&id, &seq, &rev, &t); err != nil {
			return nil, time.Time{}, err
		}
		last[id] = [2]int64{seq, rev}
		if t.After(at) {
			at = t
		}
	}
	if err := rows.Err(); err != nil {
		return nil, time.Time{}, err
	}
	if len(last) != rooms {
		return nil, time.Time{}, errRollback
	}
	return last, at.UTC(), nil
}

// insertBatchSQL inserts the messages, the senders' read pointers (sending
// implies having read up to one's own message) and one message.created
// outbox row per message, in batch order, in one statement, and fails
// (messaging_assert) unless every message was stored.
//
// The membership check is written as scalar subqueries, two primary-key
// probes per message: as EXISTS ... OR EXISTS the planner hashed the
// global-room one, a scan of every room in every batch (a millisecond
// per 10k rooms, growing with the table).
//
// Messages are inserted in (user_id, client_msg_id) order: when two
// batches of different rooms carry the same idempotency keys (a client
// resending to another room), each waits for the other's uncommitted key
// in the same global order, never in a cycle. Outbox ids are drawn in
// batch order (ORDER BY ord), which is seq order within each room.
const insertBatchSQL = `WITH b AS (
		SELECT * FROM unnest(CAST(@ids AS uuid[]), CAST(@rooms AS uuid[]), CAST(@seqs AS bigint[]), CAST(@revs AS bigint[]), CAST(@users AS uuid[]), CAST(@contents AS text[]), CAST(@cids AS text[]), CAST(@replies AS uuid[]))
			AS b(id, room_id, seq, rev, user_id, content, client_msg_id, reply_to)
	), m AS (
		INSERT INTO messages (id, room_id, seq, rev, user_id, content, client_msg_id, created_at, reply_to)
		SELECT b.id, b.room_id, b.seq, b.rev, b.user_id, b.content, b.client_msg_id, @at, b.reply_to FROM b
		WHERE COALESCE((SELECT true FROM memberships ms WHERE ms.room_id = b.room_id AND ms.user_id = b.user_id),
			(SELECT true FROM rooms r WHERE r.id = b.room_id AND r.kind = 'global'), false)
		ORDER BY b.user_id, b.client_msg_id
		ON CONFLICT (user_id, client_msg_id) WHERE client_msg_id IS NOT NULL DO NOTHING
		RETURNING reply_to
	), p AS (
		UPDATE messages SET reply_count = reply_count + c.n
		FROM (SELECT reply_to, count(*) AS n FROM m WHERE reply_to IS NOT NULL GROUP BY reply_to) c
		WHERE messages.id = c.reply_to
	), r AS (
		INSERT INTO read_receipts (room_id, user_id, last_read_seq, updated_at)
		SELECT room_id, user_id, max(seq), @at FROM b GROUP BY room_id, user_id
		ON CONFLICT (room_id, user_id) DO UPDATE
		SET last_read_seq = GREATEST(read_receipts.last_read_seq, EXCLUDED.last_read_seq), updated_at = EXCLUDED.updated_at
	), o AS (
		INSERT INTO outbox (event_id, room_id, type, payload, created_at, trace, seq)
		SELECT e.event_id, e.room_id, @type, e.payload::jsonb, @at, e.trace, e.seq
		FROM unnest(CAST(@events AS uuid[]), CAST(@rooms AS uuid[]), CAST(@payloads AS text[]), CAST(@traces AS text[]), CAST(@seqs AS bigint[])) WITH ORDINALITY AS e(event_id, room_id, payload, trace, seq, ord)
		ORDER BY e.ord
		RETURNING id, event_id
	)
	SELECT o.id, o.event_id::text FROM o
	WHERE messaging_assert((SELECT count(*) FROM m) = @n, 'a batch stored fewer messages than it was given')`

// insertArgs returns the arguments of insertBatchSQL for the messages
// batch[store...] and their outbox records, in batch order, still without
// their outbox ids.
func (s *Store) insertArgs(ctx context.Context, batch []domain.Message, store []int, at time.Time) (pgx.NamedArgs, []domain.Record, error) {
	n := len(store)
	ids, rooms, users, contents, cids := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	seqs, revs, replies := make([]int64, n), make([]int64, n), make([]string, n)
	events, payloads, traces := make([]string, n), make([]string, n), make([]string, n)
	recs := make([]domain.Record, n)
	for j, k := range store {
		m := batch[k]
		ids[j], rooms[j], seqs[j], users[j], contents[j], cids[j] = m.ID, m.RoomID, m.Seq, m.UserID, m.Content, m.ClientMsgID
		revs[j], replies[j] = m.Rev, m.ReplyTo
		e := domain.MessageCreated(newEventID(), m)
		data, err := s.encode(e)
		if err != nil {
			return nil, nil, fmt.Errorf("encode %s event: %w", e.Type, err)
		}
		events[j], payloads[j], traces[j] = e.ID, string(data), traceparent(ctx, app.MessageTrace(ctx, m.ID))
		recs[j] = domain.Record{EventID: e.ID, Type: domain.EventMessageCreated, RoomID: m.RoomID, Data: data, At: at,
			Trace: traces[j], Seq: m.Seq}
	}
	return pgx.NamedArgs{
		"ids": texts(ids), "rooms": texts(rooms), "seqs": int64s(seqs), "revs": int64s(revs), "users": texts(users),
		"contents": texts(contents), "cids": nullableTexts(cids), "replies": nullableTexts(replies), "at": at,
		"type": string(domain.EventMessageCreated), "events": texts(events), "payloads": texts(payloads),
		"traces": nullableTexts(traces), "n": int64(n),
	}, recs, nil
}

// insertBatch reads the results of insertBatchSQL and COMMIT and returns
// recs with their outbox ids. errRollback when the statement failed for
// not storing every message.
func insertBatch(br pgx.BatchResults, recs []domain.Record) (_ []domain.Record, err error) {
	defer func() {
		if cerr := br.Close(); err == nil && cerr != nil {
			err = cerr
		}
		if pg := (*pgconn.PgError)(nil); errors.As(err, &pg) && pg.Code == "CH001" {
			err = errRollback
		}
	}()
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	outboxIDs := make(map[string]int64, len(recs))
	for rows.Next() {
		var (
			id    int64
			event string
		)
		if err := rows.Scan(&id, &event); err != nil {
			rows.Close()
			return nil, err
		}
		outboxIDs[event] = id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	ct, err := br.Exec()
	if err != nil {
		return nil, err
	}
	if ct.String() != "COMMIT" {
		return nil, fmt.Errorf("postgres: append batch: COMMIT answered %q", ct.String())
	}
	for j := range recs {
		recs[j].OutboxID = outboxIDs[recs[j].EventID]
	}
	return recs, nil
}
