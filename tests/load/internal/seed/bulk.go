package seed

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/argon2"
)

// ErrSeeded is returned by Insert when the database already holds seeded
// users: rows cannot be inserted twice (use a fresh database).
var ErrSeeded = errors.New("seed: the database already holds seeded users")

// Counts says how many rows Insert wrote, per table.
type Counts struct {
	Users, Sessions, Rooms, Memberships, Messages, Reactions int64
}

// Seeded history carries what users do to messages, so history pages are
// measured with it: every EditEvery-th message (by seq) is edited, and
// every ReactEvery-th has reactions from the room's first three members
// (two 👍 and one 🎉: two distinct emoji, kept in messages.reactions as
// the api keeps them).
const (
	EditEvery  = 3
	ReactEvery = 4
)

var reactors = [...]string{"👍", "👍", "🎉"}

// seededReactions is messages.reactions of a reacted seeded message.
const seededReactions = `[{"emoji": "👍", "count": 2}, {"emoji": "🎉", "count": 1}]`

// Insert writes the layout's rows in one transaction with COPY. It does not
// touch rows it did not create, so it also works on a database in use.
func Insert(ctx context.Context, conn *pgx.Conn, l Layout, now time.Time) (Counts, error) {
	var c Counts
	if err := l.Validate(); err != nil {
		return c, err
	}
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)`, UserID(0)).Scan(&exists); err != nil {
		return c, fmt.Errorf("seed: %w", err)
	}
	if exists {
		return c, ErrSeeded
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return c, err
	}
	defer func() { _ = tx.Rollback(ctx) }()

	hash := passwordHash(Password)
	now = now.UTC().Truncate(time.Millisecond)
	copyN := func(table string, cols []string, n int, row func(i int) []any) (int64, error) {
		i := 0
		src := pgx.CopyFromFunc(func() ([]any, error) {
			if i == n {
				return nil, nil
			}
			i++
			return row(i - 1), nil
		})
		got, err := tx.CopyFrom(ctx, pgx.Identifier{table}, cols, src)
		if err != nil {
			return got, fmt.Errorf("seed: copy %s: %w", table, err)
		}
		return got, nil
	}

	if c.Users, err = copyN("users", []string{"id", "email", "display_name", "password_hash", "email_verified_at", "created_at", "updated_at"},
		l.Users, func(i int) []any {
			return []any{uid(UserID(i)), Email(i), fmt.Sprintf("Load %d", i), hash, now, now, now}
		}); err != nil {
		return c, err
	}
	exp := now.Add(30 * 24 * time.Hour)
	if c.Sessions, err = copyN("sessions", []string{"id", "user_id", "user_agent", "ip", "created_at", "last_used_at", "expires_at"},
		l.Users, func(i int) []any {
			return []any{uid(SessionID(i)), uid(UserID(i)), "chatforge-load", "127.0.0.1", now, now, exp}
		}); err != nil {
		return c, err
	}
	if c.Rooms, err = insertRooms(ctx, tx, l, now); err != nil {
		return c, err
	}
	if c.Memberships, err = insertMemberships(ctx, tx, l, now); err != nil {
		return c, err
	}
	// Each seeded message is its room's change number seq: rev = seq, and
	// the room's rev is its last_seq (as migration 00010 numbers old rows).
	if c.Messages, err = copyN("messages", []string{"id", "room_id", "seq", "rev", "user_id", "content", "created_at", "edited_at", "reactions"},
		l.HistoryRooms*l.MessagesPerRoom, func(i int) []any {
			r, seq := i/l.MessagesPerRoom, i%l.MessagesPerRoom+1
			author := r*l.RoomSize + seq%l.RoomSize
			// Spread over the last hour, one per second per room: realistic
			// timestamps without colliding with what the run sends.
			at := now.Add(-time.Hour + time.Duration(seq)*time.Second)
			content := fmt.Sprintf("seeded message %d of room %d: the quick brown fox jumps over the lazy dog", seq, r)
			var edited, reactions any
			if seq%EditEvery == 0 && !l.PlainHistory {
				content += " (edited: a typo fixed)"
				edited = at.Add(30 * time.Second)
			}
			if seq%ReactEvery == 0 && l.RoomSize >= len(reactors) && !l.PlainHistory {
				reactions = seededReactions
			}
			return []any{uid(messageID(i)), uid(GroupRoomID(r)), int64(seq), int64(seq), uid(UserID(author)), content, at, edited, reactions}
		}); err != nil {
		return c, err
	}
	if l.RoomSize >= len(reactors) && !l.PlainHistory {
		perRoom := l.MessagesPerRoom / ReactEvery
		if c.Reactions, err = copyN("reactions", []string{"message_id", "user_id", "emoji", "created_at"},
			l.HistoryRooms*perRoom*len(reactors), func(i int) []any {
				k, j := i%len(reactors), i/len(reactors)
				r, seq := j/perRoom, (j%perRoom+1)*ReactEvery
				at := now.Add(-time.Hour + time.Duration(seq)*time.Second + time.Duration(k+1)*time.Second)
				return []any{uid(messageID(r*l.MessagesPerRoom + seq - 1)), uid(UserID(r*l.RoomSize + k)), reactors[k], at}
			}); err != nil {
			return c, err
		}
	}
	return c, tx.Commit(ctx)
}

func insertRooms(ctx context.Context, tx pgx.Tx, l Layout, now time.Time) (int64, error) {
	rows := l.GroupRooms()
	big := l.BigRoomMembers > 0
	if big {
		rows++
	}
	i := 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		switch {
		case i < l.GroupRooms():
			r := i
			i++
			var lastSeq int64
			if r < l.HistoryRooms {
				lastSeq = int64(l.MessagesPerRoom)
			}
			return []any{uid(GroupRoomID(r)), "public", fmt.Sprintf("load room %d", r), uid(UserID(r * l.RoomSize)),
				lastSeq, lastSeq, int32(l.RoomSize), now}, nil
		case i == l.GroupRooms() && big:
			i++
			return []any{uid(BigRoomID), "public", "load big room", uid(UserID(0)), int64(0), int64(0), int32(l.BigRoomMembers), now}, nil
		}
		return nil, nil
	})
	n, err := tx.CopyFrom(ctx, pgx.Identifier{"rooms"},
		[]string{"id", "kind", "name", "owner_id", "last_seq", "rev", "member_count", "created_at"}, src)
	if err != nil {
		return n, fmt.Errorf("seed: copy rooms: %w", err)
	}
	return n, nil
}

func insertMemberships(ctx context.Context, tx pgx.Tx, l Layout, now time.Time) (int64, error) {
	groupMembers := l.GroupRooms() * l.RoomSize
	i := 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		switch {
		case i < groupMembers:
			u := i
			i++
			role := "member"
			if u%l.RoomSize == 0 {
				role = "owner"
			}
			return []any{uid(GroupRoomID(u / l.RoomSize)), uid(UserID(u)), role, now}, nil
		case i < groupMembers+l.BigRoomMembers:
			u := i - groupMembers
			i++
			role := "member"
			if u == 0 {
				role = "owner"
			}
			return []any{uid(BigRoomID), uid(UserID(u)), role, now}, nil
		}
		return nil, nil
	})
	n, err := tx.CopyFrom(ctx, pgx.Identifier{"memberships"}, []string{"room_id", "user_id", "role", "joined_at"}, src)
	if err != nil {
		return n, fmt.Errorf("seed: copy memberships: %w", err)
	}
	return n, nil
}

// uid converts one of our generated ids; they are valid by construction.
func uid(s string) uuid.UUID { return uuid.MustParse(s) }

// passwordHash is the identity module's argon2id PHC format at its default
// cost, computed once for every seeded user.
func passwordHash(password string) string {
	const memory, iterations, lanes, keyLen = 65536, 3, 2, 32
	salt := make([]byte, 16)
	rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, iterations, memory, lanes, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, memory, iterations, lanes,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}
