package postgres

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"gorm.io/gorm"

	"github.com/chatforge/chat/modules/messaging/internal/app"
	"github.com/chatforge/chat/modules/messaging/internal/domain"
	"github.com/chatforge/chat/platform/database"
)

// Block implements app.BlockStore (idempotent).
func (s *Store) Block(ctx context.Context, blockerID, blockedID string, at time.Time) error {
	err := s.db.WithContext(ctx).Exec(`INSERT INTO user_blocks (blocker_id, blocked_id, created_at) VALUES (?, ?, ?)
		ON CONFLICT DO NOTHING`, blockerID, blockedID, at).Error
	if isFKViolation(err) {
		return domain.ErrUserNotFound
	}
	return err
}

// Unblock implements app.BlockStore (idempotent).
func (s *Store) Unblock(ctx context.Context, blockerID, blockedID string) error {
	return s.db.WithContext(ctx).Exec(`DELETE FROM user_blocks WHERE blocker_id = ? AND blocked_id = ?`, blockerID, blockedID).Error
}

// Blocks implements app.BlockStore: the blocker's blocks ordered by user
// id, after q.After, at most q.Limit (q.Limit 0: all).
func (s *Store) Blocks(ctx context.Context, blockerID string, q domain.ListQuery) ([]domain.Block, error) {
	var rows []struct {
		BlockedID string
		CreatedAt time.Time
	}
	limit := q.Limit
	if limit <= 0 {
		limit = -1
	}
	db := s.db.WithContext(ctx).Raw(`SELECT blocked_id, created_at FROM user_blocks WHERE blocker_id = ? AND blocked_id > ?
		ORDER BY blocked_id LIMIT NULLIF(?, -1)`, blockerID, after(q.After), limit)
	if err := db.Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]domain.Block, len(rows))
	for i, r := range rows {
		out[i] = domain.Block{UserID: r.BlockedID, CreatedAt: r.CreatedAt.UTC()}
	}
	return out, nil
}

// BlockedEither implements app.BlockStore.
func (s *Store) BlockedEither(ctx context.Context, a, b string) (bool, error) {
	var blocked bool
	err := database.ScanRow(s.db.WithContext(ctx).Raw(`SELECT EXISTS (SELECT 1 FROM user_blocks
		WHERE (blocker_id = ? AND blocked_id = ?) OR (blocker_id = ? AND blocked_id = ?))`, a, b, b, a), &blocked)
	return blocked, err
}

// Moderate implements app.Moderator. The room row lock serializes it with
// membership changes and sends, so a ban's removal and a join cannot
// interleave.
func (s *Store) Moderate(ctx context.Context, roomID, actorID, targetID string, decide app.DecideMod) (domain.ModAction, error) {
	var act domain.ModAction
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var rows []roomRow
		if err := tx.Raw(`SELECT `+roomColumns+` FROM rooms r WHERE r.id = ? FOR NO KEY UPDATE`, roomID).Scan(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return domain.ErrNotFound
		}
		room := rows[0].toDomain()
		now := s.clock()
		actor, err := targetOf(tx, roomID, actorID, now)
		if err != nil {
			return err
		}
		target, err := targetOf(tx, roomID, targetID, now)
		if err != nil {
			return err
		}
		acc := domain.Access{Room: room, Role: actor.Role, MutedUntil: actor.MutedUntil, Banned: actor.Banned}
		if act, err = decide(acc, target); err != nil || act.Noop {
			return err
		}
		if err := s.applyMod(tx, act, now); err != nil {
			return err
		}
		return insertModLog(tx, act.Entry(newEventID(), now))
	})
	if isFKViolation(err) {
		return domain.ModAction{}, domain.ErrUserNotFound
	}
	return act, err
}

// applyMod writes a decided action; the room row is locked.
func (s *Store) applyMod(tx *gorm.DB, act domain.ModAction, now time.Time) error {
	switch act.Kind {
	case domain.ModRole:
		return tx.Exec(`UPDATE memberships SET role = ? WHERE room_id = ? AND user_id = ?`, string(act.Role), act.RoomID, act.UserID).Error
	case domain.ModMute:
		return tx.Exec(`INSERT INTO room_mutes (room_id, user_id, until, by_id, reason, created_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (room_id, user_id) DO UPDATE SET until = EXCLUDED.until, by_id = EXCLUDED.by_id, reason = EXCLUDED.reason, created_at = EXCLUDED.created_at`,
			act.RoomID, act.UserID, act.Until, act.ActorID, act.Reason, now).Error
	case domain.ModUnmute:
		return tx.Exec(`DELETE FROM room_mutes WHERE room_id = ? AND user_id = ?`, act.RoomID, act.UserID).Error
	case domain.ModUnban:
		return tx.Exec(`DELETE FROM room_bans WHERE room_id = ? AND user_id = ?`, act.RoomID, act.UserID).Error
	case domain.ModBan:
		if err := tx.Exec(`INSERT INTO room_bans (room_id, user_id, until, by_id, reason, created_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (room_id, user_id) DO UPDATE SET until = EXCLUDED.until, by_id = EXCLUDED.by_id, reason = EXCLUDED.reason, created_at = EXCLUDED.created_at`,
			act.RoomID, act.UserID, optTime(act.Until), act.ActorID, act.Reason, now).Error; err != nil {
			return err
		}
		if !act.Removes {
			return nil
		}
		// The removal and its event: gateways drop the room from the
		// user's sockets at once (membership.changed, removed).
		if err := tx.Exec(`DELETE FROM memberships WHERE room_id = ? AND user_id = ?`, act.RoomID, act.UserID).Error; err != nil {
			return err
		}
		if err := tx.Exec(`DELETE FROM read_receipts WHERE room_id = ? AND user_id = ?`, act.RoomID, act.UserID).Error; err != nil {
			return err
		}
		if err := tx.Exec(`UPDATE rooms SET member_count = member_count - 1 WHERE id = ?`, act.RoomID).Error; err != nil {
			return err
		}
		c := domain.Change{RoomID: act.RoomID, UserID: act.UserID, By: act.ActorID, Action: domain.ActionRemoved}
		return s.recordEvents(tx, domain.MembershipChanged(newEventID(), c, now))
	}
	return errors.New("unknown moderation action " + string(act.Kind))
}

// targetOf reads a user's role, running mute and ban in a room.
func targetOf(tx *gorm.DB, roomID, userID string, now time.Time) (domain.Target, error) {
	t := domain.Target{UserID: userID}
	if userID == "" {
		return t, nil
	}
	var (
		role  *string
		muted *time.Time
	)
	err := database.ScanRow(tx.Raw(`SELECT
		(SELECT role FROM memberships WHERE room_id = @room AND user_id = @user),
		(SELECT until FROM room_mutes WHERE room_id = @room AND user_id = @user AND until > @now),
		EXISTS (SELECT 1 FROM room_bans WHERE room_id = @room AND user_id = @user AND (until IS NULL OR until > @now))`,
		map[string]any{"room": roomID, "user": userID, "now": now}), &role, &muted, &t.Banned)
	if err != nil {
		return t, err
	}
	t.Role, t.MutedUntil = domain.Role(deref(role)), derefTime(muted)
	return t, nil
}

func insertModLog(tx *gorm.DB, e domain.ModEntry) error {
	return tx.Exec(`INSERT INTO moderation_log (id, room_id, actor_id, action, target_user_id, message_id, report_id, reason, until, created_at)
		VALUES (?, ?, CAST(? AS uuid), ?, CAST(? AS uuid), CAST(? AS uuid), CAST(? AS uuid), ?, ?, ?)`,
		e.ID, e.RoomID, nullable(e.ActorID), string(e.Kind), nullable(e.UserID), nullable(e.MessageID), nullable(e.ReportID),
		e.Reason, optTime(e.Until), e.CreatedAt).Error
}

// ModLog implements app.Moderator: a room's log, newest first, before
// q.After (an entry id), at most q.Limit.
func (s *Store) ModLog(ctx context.Context, roomID string, q domain.ListQuery) ([]domain.ModEntry, error) {
	var rows []struct {
		ID           string
		RoomID       string
		ActorID      *string
		Action       string
		TargetUserID *string
		MessageID    *string
		ReportID     *string
		Reason       string
		Until        *time.Time
		CreatedAt    time.Time
	}
	before := q.After
	if before == "" {
		before = "ffffffff-ffff-ffff-ffff-ffffffffffff"
	}
	err := s.db.WithContext(ctx).Raw(`SELECT id, room_id, actor_id, action, target_user_id, message_id, report_id, reason, until, created_at
		FROM moderation_log WHERE room_id = ? AND id < ? ORDER BY id DESC LIMIT ?`, roomID, before, q.Limit).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]domain.ModEntry, len(rows))
	for i, r := range rows {
		out[i] = domain.ModEntry{ID: r.ID, RoomID: r.RoomID, ActorID: deref(r.ActorID), Kind: domain.ModKind(r.Action),
			UserID: deref(r.TargetUserID), MessageID: deref(r.MessageID), ReportID: deref(r.ReportID), Reason: r.Reason,
			Until: derefTime(r.Until), CreatedAt: r.CreatedAt.UTC()}
	}
	return out, nil
}

// ChangeMessageLogged implements app.MessageChanger: ChangeMessage whose
// change may also return a moderation log entry, written in the same
// transaction when the message changed.
func (s *Store) ChangeMessageLogged(ctx context.Context, id, userID string, change func(domain.Access, *domain.Message) (bool, *domain.ModEntry, error)) (domain.Message, error) {
	return s.changeMessage(ctx, id, userID, change)
}

// OpenReport implements app.ReportStore: while a report of the same
// message by the same reporter is open, that one is returned instead.
func (s *Store) OpenReport(ctx context.Context, r domain.Report) (domain.Report, error) {
	err := s.db.WithContext(ctx).Exec(`INSERT INTO reports (id, room_id, message_id, reporter_id, reason, created_at)
		VALUES (?, ?, ?, CAST(? AS uuid), ?, ?)
		ON CONFLICT (message_id, COALESCE(reporter_id, '00000000-0000-0000-0000-000000000000'::uuid)) WHERE status = 'open' DO NOTHING`,
		r.ID, r.RoomID, r.MessageID, nullable(r.ReporterID), r.Reason, r.CreatedAt).Error
	if isFKViolation(err) {
		return domain.Report{}, domain.ErrMessageNotFound
	} else if err != nil {
		return domain.Report{}, err
	}
	var rows []reportRow
	if err := s.db.WithContext(ctx).Raw(`SELECT `+reportColumns+` FROM reports WHERE message_id = ?
		AND COALESCE(reporter_id, '00000000-0000-0000-0000-000000000000'::uuid) = COALESCE(CAST(? AS uuid), '00000000-0000-0000-0000-000000000000'::uuid)
		AND status = 'open'`, r.MessageID, nullable(r.ReporterID)).Scan(&rows).Error; err != nil {
		return domain.Report{}, err
	}
	if len(rows) == 0 { // resolved in between: answer the one asked for
		return r, nil
	}
	return rows[0].toDomain(), nil
}

// Report implements app.ReportStore.
func (s *Store) Report(ctx context.Context, id string) (domain.Report, error) {
	var rows []reportRow
	if err := s.db.WithContext(ctx).Raw(`SELECT `+reportColumns+` FROM reports WHERE id = ?`, id).Scan(&rows).Error; err != nil {
		return domain.Report{}, err
	}
	if len(rows) == 0 {
		return domain.Report{}, errReportNotFound
	}
	return rows[0].toDomain(), nil
}

var errReportNotFound = domain.ErrReportNotFound

// Reports implements app.ReportStore: a room's reports of a status, oldest
// first, after q.After (a report id), at most q.Limit, each with its
// message.
func (s *Store) Reports(ctx context.Context, roomID, status string, q domain.ListQuery) ([]domain.Report, error) {
	var rows []reportRow
	if err := s.db.WithContext(ctx).Raw(`SELECT `+reportColumns+` FROM reports WHERE room_id = ? AND status = ? AND id > ?
		ORDER BY id LIMIT ?`, roomID, status, after(q.After), q.Limit).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]domain.Report, len(rows))
	ids := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.toDomain()
		ids[i] = r.MessageID
	}
	if len(ids) == 0 {
		return out, nil
	}
	var msgs []messageRow
	if err := s.db.WithContext(ctx).Raw(`SELECT `+messageColumns+` FROM messages m WHERE m.id = ANY(?::uuid[])`, texts(ids)).Scan(&msgs).Error; err != nil {
		return nil, err
	}
	byID := make(map[string]domain.Message, len(msgs))
	for _, m := range msgs {
		byID[m.ID] = m.toDomain()
	}
	for i := range out {
		if m, ok := byID[out[i].MessageID]; ok {
			out[i].Message = &m
		}
	}
	return out, nil
}

// ResolveReports implements app.ReportStore: every open report of the
// message is resolved with action (one decision covers them all), and the
// entry logged, in one transaction. ErrConflict when report id is no
// longer open.
func (s *Store) ResolveReports(ctx context.Context, id string, action domain.Resolution, by string, entry domain.ModEntry) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		var messageID string
		err := database.ScanRow(tx.Raw(`SELECT message_id FROM reports WHERE id = ? AND status = 'open' FOR UPDATE`, id), &messageID)
		if errors.Is(err, sql.ErrNoRows) {
			return domain.ErrReportResolved
		} else if err != nil {
			return err
		}
		if err := tx.Exec(`UPDATE reports SET status = 'resolved', action = ?, resolved_by = ?, resolved_at = ?
			WHERE message_id = ? AND status = 'open'`, string(action), by, entry.CreatedAt, messageID).Error; err != nil {
			return err
		}
		if entry.Kind == "" {
			return nil
		}
		return insertModLog(tx, entry)
	})
}

type reportRow struct {
	ID         string
	RoomID     string
	MessageID  string
	ReporterID *string
	Reason     string
	Status     string
	Action     *string
	ResolvedBy *string
	ResolvedAt *time.Time
	CreatedAt  time.Time
}

const reportColumns = "id, room_id, message_id, reporter_id, reason, status, action, resolved_by, resolved_at, created_at"

func (r reportRow) toDomain() domain.Report {
	return domain.Report{ID: r.ID, RoomID: r.RoomID, MessageID: r.MessageID, ReporterID: deref(r.ReporterID), Reason: r.Reason,
		Status: r.Status, Action: domain.Resolution(deref(r.Action)), ResolvedBy: deref(r.ResolvedBy),
		ResolvedAt: derefTime(r.ResolvedAt), CreatedAt: r.CreatedAt.UTC()}
}

// MessageAccess implements app.MessageReader.
func (s *Store) MessageAccess(ctx context.Context, id, userID string) (domain.Access, domain.Message, error) {
	var rows []messageRow
	if err := s.db.WithContext(ctx).Raw(`SELECT `+messageColumns+` FROM messages m WHERE m.id = ?`, id).Scan(&rows).Error; err != nil {
		return domain.Access{}, domain.Message{}, err
	}
	if len(rows) == 0 {
		return domain.Access{}, domain.Message{}, domain.ErrMessageNotFound
	}
	m := rows[0].toDomain()
	acc, err := s.Access(ctx, m.RoomID, userID)
	if errors.Is(err, domain.ErrNotFound) {
		return domain.Access{}, domain.Message{}, domain.ErrMessageNotFound
	}
	return acc, m, err
}

// Sanctions implements app.Moderator: running ones only (a lapsed mute or
// ban is inert).
func (s *Store) Sanctions(ctx context.Context, roomID string, bans bool, q domain.ListQuery) ([]domain.Sanction, error) {
	table, running := "room_mutes", "until > @now"
	if bans {
		table, running = "room_bans", "(until IS NULL OR until > @now)"
	}
	var rows []struct {
		UserID    string
		Until     *time.Time
		ByID      string
		Reason    string
		CreatedAt time.Time
	}
	err := s.db.WithContext(ctx).Raw(`SELECT user_id, until, by_id, reason, created_at FROM `+table+`
		WHERE room_id = @room AND user_id > @after AND `+running+` ORDER BY user_id LIMIT @limit`,
		map[string]any{"room": roomID, "after": after(q.After), "now": s.clock(), "limit": q.Limit}).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]domain.Sanction, len(rows))
	for i, r := range rows {
		out[i] = domain.Sanction{UserID: r.UserID, Until: derefTime(r.Until), ByID: r.ByID, Reason: r.Reason, CreatedAt: r.CreatedAt.UTC()}
	}
	return out, nil
}
