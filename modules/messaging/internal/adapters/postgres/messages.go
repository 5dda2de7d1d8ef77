package postgres

import (
	"context"
	"database/sql"
	"errors"

	"gorm.io/gorm"

	"github.com/chatforge/chat/modules/messaging/internal/app"
	"github.com/chatforge/chat/modules/messaging/internal/domain"
	"github.com/chatforge/chat/platform/database"
)

// Append implements app.MessageAppender.
//
// The seq and rev come from "UPDATE rooms SET last_seq = last_seq + 1,
// rev = rev + 1 ... RETURNING last_seq, rev": the row lock it takes serializes the senders of one
// room across every api process until commit, and a rollback undoes the
// increment, so seqs have no gap and no duplicate. The next statement,
// under that lock, re-checks that the sender may post (global room, or a
// membership row), so a member removed after the use case's check cannot
// slip a message in. It must be a separate statement: under READ COMMITTED
// a statement that waited for the room lock (held by a removal) re-checks
// the locked row but evaluates its subqueries with its old snapshot, which
// still sees the deleted membership; a later statement takes a fresh one.
//
// created_at is the database's clock_timestamp() read under that lock, so
// timestamps never decrease along a room's seqs, whichever api instance
// stored each message.
func (s *Store) Append(ctx context.Context, msg domain.Message, attachmentIDs []string) (domain.Message, bool, error) {
	// No lookup of ClientMsgID first: it would cost every send a round
	// trip for the rare resend, which the insert's ON CONFLICT catches
	// (the transaction then rolls its seq back and the stored message is
	// read).
	var rec domain.Record
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var global bool
		err := database.ScanRow(tx.Raw(`UPDATE rooms SET last_seq = last_seq + 1, rev = rev + 1 WHERE id = ?
			RETURNING last_seq, rev, clock_timestamp(), kind = 'global'`, msg.RoomID), &msg.Seq, &msg.Rev, &msg.CreatedAt, &global)
		if errors.Is(err, sql.ErrNoRows) {
			return domain.ErrNotFound
		} else if err != nil {
			return err
		}
		if !global {
			var member bool
			err := database.ScanRow(tx.Raw(`SELECT EXISTS (SELECT 1 FROM memberships WHERE room_id = ? AND user_id = ?)`,
				msg.RoomID, msg.UserID), &member)
			if err != nil {
				return err
			}
			if !member {
				return domain.ErrNotFound // rolls the seq back
			}
		}
		msg.CreatedAt = msg.CreatedAt.UTC()
		event := domain.MessageCreated(newEventID(), msg)
		data, err := s.encode(event)
		if err != nil {
			return err
		}
		// One statement (one round trip on the hot path) for the rest: the
		// message; the sender's read pointer (sending implies having read up
		// to one's own message); the outbox row. A concurrent resend with
		// the same client id can get past the fast path above: then the
		// unique index makes the insert a no-op, so do the dependent
		// inserts, and the caller rolls back its seq.
		var stored int
		trace := traceparent(ctx, app.MessageTrace(ctx, msg.ID))
		err = database.ScanRow(tx.Raw(`WITH m AS (
				INSERT INTO messages (id, room_id, seq, rev, user_id, content, client_msg_id, created_at, reply_to, call, has_attachments, ciphertext)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS uuid), CAST(? AS jsonb), ?, CAST(? AS jsonb))
				ON CONFLICT (user_id, client_msg_id) WHERE client_msg_id IS NOT NULL DO NOTHING
				RETURNING room_id, user_id, seq, created_at, reply_to
			), p AS (
				UPDATE messages SET reply_count = reply_count + 1 WHERE id = (SELECT reply_to FROM m)
			), r AS (
				INSERT INTO read_receipts (room_id, user_id, last_read_seq, updated_at)
				SELECT room_id, user_id, seq, created_at FROM m
				ON CONFLICT (room_id, user_id) DO UPDATE
				SET last_read_seq = GREATEST(read_receipts.last_read_seq, EXCLUDED.last_read_seq), updated_at = EXCLUDED.updated_at
			), o AS (
				INSERT INTO outbox (event_id, room_id, type, payload, created_at, trace, seq)
				SELECT ?, room_id, ?, CAST(? AS jsonb), created_at, CAST(? AS text), seq FROM m
				RETURNING id
			)
			SELECT (SELECT count(*) FROM m), COALESCE((SELECT id FROM o), 0)`,
			msg.ID, msg.RoomID, msg.Seq, msg.Rev, msg.UserID, msg.Content, nullable(msg.ClientMsgID), msg.CreatedAt, nullable(msg.ReplyTo), nullableJSON(msg.Call),
			len(attachmentIDs) > 0, encodeCiphertext(msg.Ciphertext), event.ID, string(event.Type), string(data),
			nullable(trace)), &stored, &rec.OutboxID)
		if err != nil {
			return err
		}
		if stored == 0 {
			return errRollback
		}
		if len(attachmentIDs) > 0 {
			if data, err = s.claim(tx, &msg, event.ID, rec.OutboxID, attachmentIDs); err != nil {
				return err
			}
		}
		rec = domain.Record{OutboxID: rec.OutboxID, EventID: event.ID, Type: event.Type, RoomID: msg.RoomID, Data: data,
			At: msg.CreatedAt, Trace: trace, Seq: msg.Seq}
		return nil
	})
	switch {
	case errors.Is(err, errRollback):
		m, err := s.byClientID(ctx, msg.UserID, msg.ClientMsgID)
		return m, false, err
	case err != nil:
		return domain.Message{}, false, err
	}
	s.committed(ctx, []domain.Record{rec})
	return msg, true, nil
}

func (s *Store) byClientID(ctx context.Context, userID, clientMsgID string) (domain.Message, error) {
	var rows []messageRow
	err := s.db.WithContext(ctx).Raw(`SELECT `+messageColumns+` FROM messages m
		WHERE m.user_id = ? AND m.client_msg_id = ?`, userID, clientMsgID).Scan(&rows).Error
	if err != nil {
		return domain.Message{}, err
	}
	if len(rows) == 0 {
		return domain.Message{}, domain.ErrNotFound
	}
	return rows[0].toDomain(), nil
}

// resolveResends answers, from one lookup without any lock, the messages
// msgs[todo...] whose (UserID, ClientMsgID) is already stored, and returns
// the indexes of the others, in order.
func (s *Store) resolveResends(ctx context.Context, msgs []domain.Message, todo []int, out []app.Appended) (rest []int, err error) {
	var idx []int
	var users, cids []string
	for _, i := range todo {
		if m := msgs[i]; m.ClientMsgID != "" {
			idx = append(idx, i)
			users, cids = append(users, m.UserID), append(cids, m.ClientMsgID)
		}
	}
	found := make(map[int]bool)
	if len(idx) > 0 {
		var rows []struct {
			Msg messageRow `gorm:"embedded"`
			Ord int
		}
		err := s.db.WithContext(ctx).Raw(`SELECT `+messageColumns+`, k.ord
			FROM unnest(?::uuid[], ?::text[]) WITH ORDINALITY AS k(user_id, client_msg_id, ord)
			JOIN messages m ON m.user_id = k.user_id AND m.client_msg_id = k.client_msg_id`,
			texts(users), texts(cids)).Scan(&rows).Error
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			i := idx[r.Ord-1]
			out[i] = app.Appended{Message: r.Msg.toDomain()}
			found[i] = true
		}
	}
	rest = make([]int, 0, len(todo)-len(found))
	for _, i := range todo {
		if !found[i] {
			rest = append(rest, i)
		}
	}
	return rest, nil
}

// Parents implements app.ReplyParents.
func (s *Store) Parents(ctx context.Context, ids []string) (map[string]domain.Message, error) {
	var rows []messageRow
	if err := s.db.WithContext(ctx).Raw(`SELECT `+messageColumns+` FROM messages m WHERE m.id = ANY(?::uuid[])`,
		texts(ids)).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make(map[string]domain.Message, len(rows))
	for _, r := range rows {
		out[r.ID] = r.toDomain()
	}
	return out, nil
}

// Thread implements app.ThreadReader: a scan of the (reply_to, seq) index.
func (s *Store) Thread(ctx context.Context, roomID, parentID string, after int64, limit int) ([]domain.Message, error) {
	var rows []messageRow
	if err := s.db.WithContext(ctx).Raw(`SELECT `+messageColumns+` FROM messages m
		WHERE m.reply_to = ? AND m.room_id = ? AND m.seq > ? ORDER BY m.seq LIMIT ?`,
		parentID, roomID, after, limit).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]domain.Message, len(rows))
	for i, r := range rows {
		out[i] = r.toDomain()
	}
	return out, nil
}

// ChangedSince implements app.ChangeReader: a scan of the (room_id, rev)
// index.
func (s *Store) ChangedSince(ctx context.Context, roomID string, since int64, limit int) ([]domain.Message, error) {
	var rows []messageRow
	if err := s.db.WithContext(ctx).Raw(`SELECT `+messageColumns+` FROM messages m
		WHERE m.room_id = ? AND m.rev > ? ORDER BY m.rev LIMIT ?`, roomID, since, limit).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]domain.Message, len(rows))
	for i, r := range rows {
		out[i] = r.toDomain()
	}
	return out, nil
}

// nullableJSON is a JSON value for a jsonb parameter: NULL for none.
func nullableJSON(b []byte) *string {
	if b == nil {
		return nil
	}
	s := string(b)
	return &s
}
