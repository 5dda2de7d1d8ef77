package postgres

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
	"github.com/chatforge/chat/platform/database"
)

// History implements app.HistoryReader in one round trip: the room's row
// (primary key) and the caller's membership (primary key), and laterally a
// range scan of the (room_id, seq) unique index, in either direction, never
// an offset. The lateral scan runs only when the caller may read the room
// (the rule of domain.Access.CanRead, which the use case applies again), so
// an outsider's request reads no message. A missing room yields no row; a
// readable room without messages in range, one row of NULL message
// columns.
//
// It is the hottest read, so it skips gorm and database/sql's rows (their
// per-column driver.Value conversions cost more CPU than the decoding): it
// runs on the pgx connection beneath a connection taken from the store's
// pool, so the pool's limits hold, asks for every column in binary and
// decodes them itself.
func (s *Store) History(ctx context.Context, roomID, userID string, q domain.HistoryQuery, into []domain.Message) (domain.Access, []domain.Message, error) {
	before := q.Before
	if before == 0 {
		before = math.MaxInt64
	}
	query := historyDesc
	if q.Ascending {
		query = historyAsc
	}
	var (
		acc   domain.Access
		out   []domain.Message
		found bool
	)
	text := s.pageText.Get().(*pageText)
	defer func() { s.pageText.Put(text.reset()) }()
	begin := time.Now()
	err := s.withPgx(ctx, func(c *pgx.Conn) error {
		// A cached statement (prepared once per connection; this needs pgx's
		// statement cache, on unless the URL sets statement_cache_capacity=0)
		// and binary results, whatever the connection's default exec mode.
		rows, err := c.Query(ctx, query, pgx.QueryExecModeCacheStatement, historyFormats,
			userID, q.After, before, q.Limit, roomID)
		if err != nil {
			return err
		}
		defer rows.Close()
		if err := checkHistoryFields(rows.FieldDescriptions()); err != nil {
			// A statement that failed before any result (a cancelled
			// context, a lost connection) has no columns either: its own
			// error says why, not the schema check.
			rows.Close()
			if rerr := rows.Err(); rerr != nil {
				return rerr
			}
			return err
		}
		out = slices.Grow(into[:0], max(0, min(q.Limit, 1000)))
		for rows.Next() {
			v := rows.RawValues()
			if !found {
				found = true
				acc = domain.Access{Room: domain.Room{ID: roomID, Kind: domain.Kind(v[0])}, Role: domain.Role(v[1]),
					Banned: len(v[2]) == 1 && v[2][0] == 1}
			}
			if v[3] == nil { // the room has no message in range (or is not readable)
				continue
			}
			m, err := text.decode(v[3:])
			if err != nil {
				return err
			}
			m.RoomID = roomID
			out = append(out, m)
		}
		return rows.Err()
	})
	// Marked like gorm's errors (an outage is "unavailable", not a bug).
	err = database.Classify(err)
	// gorm's logger, as for every other statement: failed and slow ones.
	s.db.Logger.Trace(ctx, begin, func() (string, int64) { return query, int64(len(out)) }, err)
	if err != nil {
		return domain.Access{}, nil, err
	}
	if !found {
		return domain.Access{}, nil, domain.ErrNotFound
	}
	text.finish(out)
	// The statement has no outer ORDER BY, which made PostgreSQL copy and
	// sort every page: the nested loop over the one room row returns the
	// lateral's rows in their order. SQL does not promise that, so check.
	if order := bySeq(q.Ascending); !slices.IsSortedFunc(out, order) {
		slices.SortFunc(out, order)
	}
	return acc, out, nil
}

// historySQL is History's statement, for the order "ASC" or "DESC".
func historySQL(order string) string {
	return `SELECT r.kind, mb.role,
		bn.user_id IS NOT NULL AS banned,
		m.id, m.seq, m.user_id, m.content, m.client_msg_id, m.created_at,
		m.rev, m.reply_to, m.edited_at, m.deleted_at, m.reactions, m.reply_count, m.moderation, m.call, m.has_attachments,
		m.ciphertext
	FROM rooms r
	LEFT JOIN memberships mb ON mb.room_id = r.id AND mb.user_id = $1
	-- A running ban of a non-member (a ban removes the membership); joined
	-- once for the room row, not evaluated per message row.
	LEFT JOIN room_bans bn ON mb.role IS NULL AND bn.room_id = r.id AND bn.user_id = $1
		AND (bn.until IS NULL OR bn.until > now())
	LEFT JOIN LATERAL (
		SELECT id, seq, user_id, content, client_msg_id, created_at,
			rev, reply_to, edited_at, deleted_at, reactions, reply_count, moderation, call, has_attachments, ciphertext FROM messages
		WHERE room_id = r.id AND seq > $2 AND seq < $3
			AND (r.kind IN ('global', 'public') OR mb.role IS NOT NULL)
		ORDER BY seq ` + order + ` LIMIT $4
	) m ON true
	WHERE r.id = $5`
}

// bySeq orders messages by seq, ascending or descending.
func bySeq(ascending bool) func(a, b domain.Message) int {
	if ascending {
		return func(a, b domain.Message) int { return cmp.Compare(a.Seq, b.Seq) }
	}
	return func(a, b domain.Message) int { return cmp.Compare(b.Seq, a.Seq) }
}

var (
	historyAsc  = historySQL("ASC")
	historyDesc = historySQL("DESC")
	// historyFormats asks every column in binary: text's binary format is
	// its text, and uuid, int8 and timestamptz decode without parsing.
	historyFormats = pgx.QueryResultFormats{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}
	historyOIDs    = [...]uint32{pgtype.TextOID, pgtype.TextOID, pgtype.BoolOID, pgtype.UUIDOID, pgtype.Int8OID,
		pgtype.UUIDOID, pgtype.TextOID, pgtype.TextOID, pgtype.TimestamptzOID,
		pgtype.Int8OID, pgtype.UUIDOID, pgtype.TimestamptzOID, pgtype.TimestamptzOID, pgtype.JSONBOID, pgtype.Int4OID,
		pgtype.JSONBOID, pgtype.JSONBOID, pgtype.BoolOID, pgtype.JSONBOID}
)

// checkHistoryFields guards pageText.decode against a schema that no longer
// matches it.
func checkHistoryFields(fds []pgconn.FieldDescription) error {
	if len(fds) != len(historyOIDs) {
		return fmt.Errorf("history: %d columns, want %d", len(fds), len(historyOIDs))
	}
	for i, fd := range fds {
		if fd.DataTypeOID != historyOIDs[i] || fd.Format != pgtype.BinaryFormatCode {
			return fmt.Errorf("history: column %s is type %d format %d, want type %d in binary", fd.Name, fd.DataTypeOID, fd.Format, historyOIDs[i])
		}
	}
	return nil
}

// pageText collects the strings of a page's messages in one buffer, so a
// page costs one string allocation instead of three or four per message
// (ids, content, client id): History's messages share one backing string,
// which lives as long as any of them does. Reused through Store.pageText.
type pageText struct {
	buf  []byte
	ends []int // per message: the end offsets of its ID, UserID, Content, ClientMsgID, ReplyTo
	// emoji holds the reaction emoji seen on earlier pages: their strings
	// are shared instead of allocated again for every reacted message.
	emoji map[string]string
}

// decode decodes the binary id, seq, user_id, content, client_msg_id,
// created_at, rev, reply_to, edited_at, deleted_at, reactions,
// reply_count, moderation, call and has_attachments columns of a message;
// its strings are set by finish.
func (t *pageText) decode(v [][]byte) (domain.Message, error) {
	if len(v[0]) != 16 || len(v[1]) != 8 || len(v[2]) != 16 || len(v[5]) != 8 || len(v[6]) != 8 ||
		(v[7] != nil && len(v[7]) != 16) || len(v[11]) != 4 || len(v[14]) != 1 {
		return domain.Message{}, errors.New("history: malformed message row")
	}
	created, err := pgTime(v[5])
	if err != nil {
		return domain.Message{}, err
	}
	edited, err := pgOptTime(v[8])
	if err != nil {
		return domain.Message{}, err
	}
	deleted, err := pgOptTime(v[9])
	if err != nil {
		return domain.Message{}, err
	}
	t.buf = appendUUID(t.buf, v[0])
	t.ends = append(t.ends, len(t.buf))
	t.buf = appendUUID(t.buf, v[2])
	t.ends = append(t.ends, len(t.buf))
	t.buf = append(t.buf, v[3]...)
	t.ends = append(t.ends, len(t.buf))
	t.buf = append(t.buf, v[4]...)
	t.ends = append(t.ends, len(t.buf))
	if v[7] != nil {
		t.buf = appendUUID(t.buf, v[7])
	}
	t.ends = append(t.ends, len(t.buf))
	m := domain.Message{
		Seq:        int64(binary.BigEndian.Uint64(v[1])),
		CreatedAt:  created,
		Rev:        int64(binary.BigEndian.Uint64(v[6])),
		EditedAt:   edited,
		DeletedAt:  deleted,
		Reactions:  decodeReactionsIn(v[10], t.emoji),
		ReplyCount: int(int32(binary.BigEndian.Uint32(v[11]))),
		Moderation: decodeModeration(v[12]),
		Call:       jsonbText(v[13]),
		Ciphertext: decodeCiphertext(v[15]),
	}
	if v[14][0] == 1 && deleted.IsZero() {
		m.MarkAttachmentsPending()
	}
	return m, nil
}

// pgTime decodes a binary timestamptz: microseconds since 2000-01-01 UTC.
func pgTime(v []byte) (time.Time, error) {
	us := int64(binary.BigEndian.Uint64(v))
	if us == math.MaxInt64 || us == math.MinInt64 {
		return time.Time{}, errors.New("history: infinite timestamp")
	}
	return time.Unix(pgEpoch+us/1e6, us%1e6*1e3).UTC(), nil
}

// pgOptTime decodes a nullable binary timestamptz; NULL is the zero time.
func pgOptTime(v []byte) (time.Time, error) {
	if v == nil {
		return time.Time{}, nil
	}
	if len(v) != 8 {
		return time.Time{}, errors.New("history: malformed message row")
	}
	return pgTime(v)
}

// finish sets the strings of msgs, decoded in this order by decode.
func (t *pageText) finish(msgs []domain.Message) {
	all := string(t.buf)
	start := 0
	next := func(i int) string {
		s := all[start:t.ends[i]]
		start = t.ends[i]
		return s
	}
	for i := range msgs {
		m := &msgs[i]
		m.ID, m.UserID, m.Content, m.ClientMsgID, m.ReplyTo = next(5*i), next(5*i+1), next(5*i+2), next(5*i+3), next(5*i+4)
	}
}

// reset empties t for reuse, dropping buffers grown by a rare huge page.
func (t *pageText) reset() *pageText {
	if cap(t.buf) > 1<<20 {
		return newPageText()
	}
	if len(t.emoji) > maxPageEmoji {
		clear(t.emoji)
	}
	t.buf, t.ends = t.buf[:0], t.ends[:0]
	return t
}

// maxPageEmoji bounds pageText.emoji: past it, the map starts over.
const maxPageEmoji = 256

func newPageText() *pageText { return &pageText{emoji: make(map[string]string)} }

// pgEpoch is 2000-01-01 00:00:00 UTC in Unix seconds.
const pgEpoch = 946684800

// appendUUID appends 16 bytes as a canonical lowercase UUID.
func appendUUID(b, u []byte) []byte {
	b = hex.AppendEncode(b, u[0:4])
	b = append(b, '-')
	b = hex.AppendEncode(b, u[4:6])
	b = append(b, '-')
	b = hex.AppendEncode(b, u[6:8])
	b = append(b, '-')
	b = hex.AppendEncode(b, u[8:10])
	b = append(b, '-')
	return hex.AppendEncode(b, u[10:])
}

// pgxConn is what database/sql's driver connection offers under pgx's
// stdlib: its *pgx.Conn.
type pgxConn interface{ Conn() *pgx.Conn }

// withPgx runs fn on the pgx connection of a connection taken from the
// store's database/sql pool, returned to it afterwards. fn must not keep
// the *pgx.Conn.
func (s *Store) withPgx(ctx context.Context, fn func(*pgx.Conn) error) error {
	if s.sqlErr != nil {
		return s.sqlErr
	}
	conn, err := s.sqlDB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		c, ok := dc.(pgxConn)
		if !ok {
			return fmt.Errorf("postgres: driver connection %T is not pgx's", dc)
		}
		return fn(c.Conn())
	})
}
