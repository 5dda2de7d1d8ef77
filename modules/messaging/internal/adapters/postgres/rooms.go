package postgres

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chatforge/chat/modules/messaging/internal/app"
	"github.com/chatforge/chat/modules/messaging/internal/domain"
	"github.com/chatforge/chat/platform/database"
)

// viewRow is a room as one user sees it: role, read pointer, newest message
// (lm_* all NULL when the room is empty).
type viewRow struct {
	Room          roomRow `gorm:"embedded"`
	LastRead      int64
	LmID          *string
	LmUserID      *string
	LmContent     *string
	LmClientMsgID *string
	LmCreatedAt   *time.Time
	LmRev         int64
	LmReplyTo     *string
	LmEditedAt    *time.Time
	LmDeletedAt   *time.Time
	LmReactions   []byte
	LmReplyCount  int
	LmModeration  []byte
	LmCall        []byte
	LmCiphertext  []byte
}

// viewSelect reads rooms r as user @user sees them. The newest message is a
// point lookup in the (room_id, seq) index at seq = last_seq.
const viewSelect = `SELECT ` + roomColumns + `, m.role, COALESCE(rr.last_read_seq, 0) AS last_read,
	lm.id AS lm_id, lm.user_id AS lm_user_id, lm.content AS lm_content,
	lm.client_msg_id AS lm_client_msg_id, lm.created_at AS lm_created_at,
	COALESCE(lm.rev, 0) AS lm_rev, lm.reply_to AS lm_reply_to, lm.edited_at AS lm_edited_at,
	lm.deleted_at AS lm_deleted_at, lm.reactions AS lm_reactions, COALESCE(lm.reply_count, 0) AS lm_reply_count,
	lm.moderation AS lm_moderation, lm.call AS lm_call, lm.ciphertext AS lm_ciphertext`

const viewJoins = `
	LEFT JOIN memberships m ON m.room_id = r.id AND m.user_id = @user
	LEFT JOIN read_receipts rr ON rr.room_id = r.id AND rr.user_id = @user
	LEFT JOIN messages lm ON lm.room_id = r.id AND lm.seq = r.last_seq`

func (v viewRow) toDomain() domain.RoomView {
	out := domain.RoomView{Room: v.Room.toDomain(), Role: v.Room.role(), LastRead: v.LastRead}
	if v.LmID != nil {
		out.LastMessage = &domain.Message{
			ID: *v.LmID, RoomID: v.Room.ID, Seq: v.Room.LastSeq, UserID: deref(v.LmUserID), Content: deref(v.LmContent),
			ClientMsgID: deref(v.LmClientMsgID), CreatedAt: v.LmCreatedAt.UTC(),
			Rev: v.LmRev, ReplyTo: deref(v.LmReplyTo), EditedAt: derefTime(v.LmEditedAt), DeletedAt: derefTime(v.LmDeletedAt),
			Reactions: decodeReactions(v.LmReactions), ReplyCount: v.LmReplyCount, Moderation: decodeModeration(v.LmModeration),
			Call: jsonbText(v.LmCall), Ciphertext: decodeCiphertext(v.LmCiphertext),
		}
		if !out.Role.Moderates() {
			*out.LastMessage = out.LastMessage.Redacted()
		}
	}
	return out
}

func viewsToDomain(rows []viewRow) []domain.RoomView {
	out := make([]domain.RoomView, len(rows))
	for i, r := range rows {
		out[i] = r.toDomain()
	}
	return out
}

// Access implements app.AccessReader: one primary-key lookup, scanned by
// hand (gorm's reflective Scan cost more CPU than the query), with the
// user's running mute, ban and (direct rooms) a block between the pair:
// primary-key probes, so the hot path stays one round trip.
func (s *Store) Access(ctx context.Context, roomID, userID string) (domain.Access, error) {
	var (
		r       roomRow
		safe    safetyCols
		nowTime = s.clock()
	)
	err := database.ScanRow(s.db.WithContext(ctx).Raw(`SELECT `+roomColumns+`, m.role, `+safetySelect+` FROM rooms r
		LEFT JOIN memberships m ON m.room_id = r.id AND m.user_id = @user
		WHERE r.id = @room`, map[string]any{"user": userID, "room": roomID, "now": nowTime}),
		&r.ID, &r.Kind, &r.Name, &r.OwnerID, &r.DmLow, &r.DmHigh, &r.LastSeq, &r.MemberCount, &r.CreatedAt, &r.Encrypted, &r.Role,
		&safe.MutedUntil, &safe.Banned, &safe.Blocked)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return domain.Access{}, domain.ErrNotFound
	case err != nil:
		return domain.Access{}, err
	}
	return safe.access(r), nil
}

// safetySelect reads, next to a room r and @user's membership m, the
// running mute and ban of @user (a ban removes the membership: members are
// not probed) and whether a block stands between a direct room's pair
// (probed for direct rooms only); @now is the clock they are compared with.
const safetySelect = `(SELECT mu.until FROM room_mutes mu WHERE mu.room_id = r.id AND mu.user_id = @user AND mu.until > @now) AS muted_until,
	(m.role IS NULL AND EXISTS (SELECT 1 FROM room_bans b WHERE b.room_id = r.id AND b.user_id = @user AND (b.until IS NULL OR b.until > @now))) AS banned,
	(r.kind = 'direct' AND EXISTS (SELECT 1 FROM user_blocks ub WHERE (ub.blocker_id = r.dm_low AND ub.blocked_id = r.dm_high)
		OR (ub.blocker_id = r.dm_high AND ub.blocked_id = r.dm_low))) AS blocked`

// safetyCols are safetySelect's columns.
type safetyCols struct {
	MutedUntil *time.Time
	Banned     bool
	Blocked    bool
}

func (c safetyCols) access(r roomRow) domain.Access {
	return domain.Access{Room: r.toDomain(), Role: r.role(), MutedUntil: derefTime(c.MutedUntil), Banned: c.Banned, Blocked: c.Blocked}
}

// Accesses implements app.BatchAppender: the Access query for many pairs
// at once, matched back to keys by position (WITH ORDINALITY), so ids need
// not be in canonical form to match. It is on the path of every socket
// send batch, so it runs on pgx in one round trip (BEGIN, genericPlans,
// the query and COMMIT pipelined), on its generic plan.
func (s *Store) Accesses(ctx context.Context, keys []app.AccessKey) (map[app.AccessKey]domain.Access, error) {
	rooms, users := make([]string, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		rooms[i], users[i] = k.RoomID, k.UserID
	}
	out := make(map[app.AccessKey]domain.Access, len(keys))
	begin := time.Now()
	err := s.withPgx(ctx, func(c *pgx.Conn) (err error) {
		b := &pgx.Batch{}
		b.Queue("BEGIN")
		b.Queue(genericPlans)
		b.Queue(accessesSQL, texts(rooms), texts(users), s.clock())
		b.Queue("COMMIT")
		br := c.SendBatch(ctx, b)
		defer func() {
			if cerr := br.Close(); err == nil && cerr != nil {
				err = cerr
			}
			if err != nil {
				// What failed left the transaction open (aborted); a
				// connection that cannot end it is closed.
				err = rollback(ctx, c, err)
			}
		}()
		for range 2 {
			if _, err := br.Exec(); err != nil {
				return err
			}
		}
		rows, err := br.Query()
		if err != nil {
			return err
		}
		for rows.Next() {
			var (
				r   roomRow
				sc  safetyCols
				ord int64
			)
			if err := rows.Scan(&r.ID, &r.Kind, &r.Name, &r.OwnerID, &r.DmLow, &r.DmHigh, &r.LastSeq, &r.MemberCount,
				&r.CreatedAt, &r.Encrypted, &r.Role, &ord, &sc.MutedUntil, &sc.Banned, &sc.Blocked); err != nil {
				rows.Close()
				return err
			}
			out[keys[ord-1]] = sc.access(r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		_, err = br.Exec() // COMMIT
		return err
	})
	// Marked like gorm's errors (an outage is "unavailable", not a bug).
	err = database.Classify(err)
	// gorm's logger, as for every other statement: failed and slow ones.
	s.db.Logger.Trace(ctx, begin, func() (string, int64) { return accessesSQL, int64(len(out)) }, err)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// accessesSQL is Accesses' query: rooms $1, users $2, the time $3.
var accessesSQL = `SELECT r.id::text, r.kind, r.name, r.owner_id::text, r.dm_low::text, r.dm_high::text, r.last_seq, r.member_count,
		r.created_at, r.encrypted, m.role, k.ord, ` +
	strings.NewReplacer("@user", "k.user_id", "@now", "$3::timestamptz").Replace(safetySelect) + `
	FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS k(room_id, user_id, ord)
	JOIN rooms r ON r.id = k.room_id
	LEFT JOIN memberships m ON m.room_id = k.room_id AND m.user_id = k.user_id`

// View implements app.RoomReader.
func (s *Store) View(ctx context.Context, roomID, userID string) (domain.RoomView, error) {
	var rows []viewRow
	err := s.db.WithContext(ctx).Raw(viewSelect+` FROM rooms r`+viewJoins+` WHERE r.id = @room`,
		map[string]any{"user": userID, "room": roomID}).Scan(&rows).Error
	if err != nil {
		return domain.RoomView{}, err
	}
	if len(rows) == 0 {
		return domain.RoomView{}, domain.ErrNotFound
	}
	return rows[0].toDomain(), nil
}

// Members implements app.RoomReader: a range scan of the memberships
// primary key (room_id, user_id).
func (s *Store) Members(ctx context.Context, roomID string, q domain.ListQuery) ([]domain.Member, error) {
	var rows []struct {
		UserID   string
		Role     string
		JoinedAt time.Time
	}
	err := s.db.WithContext(ctx).Raw(`SELECT user_id, role, joined_at FROM memberships
		WHERE room_id = ? AND user_id > ? ORDER BY user_id LIMIT ?`, roomID, after(q.After), q.Limit).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]domain.Member, len(rows))
	for i, r := range rows {
		out[i] = domain.Member{UserID: r.UserID, Role: domain.Role(r.Role), JoinedAt: r.JoinedAt.UTC()}
	}
	return out, nil
}

// Mine implements app.RoomLister. The global room (whose id sorts first)
// heads the first page; then the memberships_user_room_idx range scan.
func (s *Store) Mine(ctx context.Context, userID string, q domain.ListQuery) ([]domain.RoomView, error) {
	var rows []viewRow
	err := s.db.WithContext(ctx).Raw(`WITH mine AS (
			SELECT CAST(@global AS uuid) AS id WHERE CAST(@global AS uuid) > CAST(@after AS uuid)
			UNION ALL
			(SELECT room_id FROM memberships WHERE user_id = @user AND room_id > CAST(@after AS uuid) ORDER BY room_id LIMIT @limit)
		)
		`+viewSelect+` FROM mine JOIN rooms r ON r.id = mine.id`+viewJoins+`
		ORDER BY r.id LIMIT @limit`,
		map[string]any{"user": userID, "global": domain.GlobalRoomID, "after": after(q.After), "limit": q.Limit}).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	return viewsToDomain(rows), nil
}

// Public implements app.RoomLister: the rooms_public_idx partial index, by
// id; the name filter is a substring match over that scan.
func (s *Store) Public(ctx context.Context, userID, filter string, q domain.ListQuery) ([]domain.RoomView, error) {
	where := ` WHERE r.kind = 'public' AND r.id > CAST(@after AS uuid)`
	args := map[string]any{"user": userID, "after": after(q.After), "limit": q.Limit}
	if filter != "" {
		where += ` AND r.name ILIKE @pattern`
		args["pattern"] = "%" + likeEscaper.Replace(filter) + "%"
	}
	var rows []viewRow
	err := s.db.WithContext(ctx).Raw(viewSelect+` FROM rooms r`+viewJoins+where+` ORDER BY r.id LIMIT @limit`, args).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	return viewsToDomain(rows), nil
}

// likeEscaper makes user text literal inside a LIKE pattern (backslash is
// PostgreSQL's default LIKE escape).
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
