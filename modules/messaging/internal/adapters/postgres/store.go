// Package postgres is the PostgreSQL adapter of the messaging module, over
// gorm with hand-written SQL: every query is shaped for an index of
// migrations/00002_messaging.sql. The schema comes only from migrations.
// History, the hottest read, runs on the pgx connection beneath a pooled
// one instead of through gorm.
//
// Transactions never leave this package. Every transaction that records an
// event locks the room's row before inserting the outbox row and holds the
// lock until commit. So, within one room, outbox ids are taken in commit
// order: when the relay sees a room's event, every earlier event of that
// room is already committed and visible, and publishing in id order keeps
// each room's events in order (for messages: in seq order). Events of
// different rooms may commit out of id order; the relay selects by
// "published_at IS NULL", not by a high-water mark, so none is skipped.
//
// Locks are always taken room row first, then membership / receipt rows;
// a transaction that needs several rooms (AppendBatch) takes them all
// first, in id order. So the transactions here cannot deadlock one another.
package postgres

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
	"github.com/chatforge/chat/platform/tracing"
)

// Encoder turns an event into the JSON of its stream entry's "data" field.
// The root package provides it: the wire schema is public API.
type Encoder func(domain.Event) ([]byte, error)

// Store implements the app ports on PostgreSQL. It is safe for concurrent
// use.
type Store struct {
	db     *gorm.DB
	encode Encoder
	now    func() time.Time
	// relayID names this store's outbox relay (Drain) in outbox_relay.
	relayID string

	// sqlDB is db's pool, for History, which bypasses gorm; sqlErr says
	// why there is none.
	sqlDB  *sql.DB
	sqlErr error
	// pageText recycles History's *pageText buffers.
	pageText sync.Pool
	// attachments is nil when the app wires none (UseAttachments).
	attachments Attachments
	// onCommit, when set (PublishOnCommit), is given the message.created
	// records of each committed Append or AppendBatch; relayGrace is how
	// long the relay leaves such records to it.
	onCommit   func(context.Context, []domain.Record)
	relayGrace time.Duration
}

// New returns a store over db. now stamps membership and receipt changes;
// message timestamps come from the database clock (see Append).
func New(db *gorm.DB, encode Encoder, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	s := &Store{db: db, encode: encode, now: now, relayID: uuid.NewString()}
	s.sqlDB, s.sqlErr = db.DB()
	s.pageText.New = func() any { return newPageText() }
	return s
}

func (s *Store) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func newEventID() string { return uuid.Must(uuid.NewV7()).String() }

// noUUID sorts before every id: the "from the start" cursor.
const noUUID = "00000000-0000-0000-0000-000000000000"

func after(id string) string {
	if id == "" {
		return noUUID
	}
	return id
}

// errRollback ends a transaction without it being an error for the caller.
var errRollback = errors.New("rollback")

// tx runs fn in a transaction bound to ctx.
func (s *Store) tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return s.db.WithContext(ctx).Transaction(fn)
}

// recordEvents inserts the events' outbox rows. Callers hold the room row
// lock (see the package comment).
func (s *Store) recordEvents(tx *gorm.DB, events ...domain.Event) error {
	if len(events) == 0 {
		return nil
	}
	var stmt strings.Builder
	stmt.WriteString("INSERT INTO outbox (event_id, room_id, type, payload, created_at, trace) VALUES ")
	args := make([]any, 0, 6*len(events))
	trace := nullable(traceparent(tx.Statement.Context, ""))
	for i, e := range events {
		data, err := s.encode(e)
		if err != nil {
			return fmt.Errorf("encode %s event: %w", e.Type, err)
		}
		if i > 0 {
			stmt.WriteString(", ")
		}
		stmt.WriteString("(?, ?, ?, ?::jsonb, ?, ?)")
		args = append(args, e.ID, e.RoomID, string(e.Type), string(data), e.At, trace)
	}
	return tx.Exec(stmt.String(), args...).Error
}

// isFKViolation tells a foreign key violation, translated by gorm or not.
func isFKViolation(err error) bool {
	var pg *pgconn.PgError
	return errors.Is(err, gorm.ErrForeignKeyViolated) || (errors.As(err, &pg) && pg.Code == "23503")
}

// roomRow is a rooms row, optionally with the caller's role.
type roomRow struct {
	ID          string
	Kind        string
	Name        string
	OwnerID     *string
	DmLow       *string
	DmHigh      *string
	LastSeq     int64
	MemberCount int
	CreatedAt   time.Time
	Encrypted   bool
	Role        *string
}

const roomColumns = "r.id, r.kind, r.name, r.owner_id, r.dm_low, r.dm_high, r.last_seq, r.member_count, r.created_at, r.encrypted"

func (r roomRow) toDomain() domain.Room {
	room := domain.Room{
		ID: r.ID, Kind: domain.Kind(r.Kind), Name: r.Name, OwnerID: deref(r.OwnerID),
		LastSeq: r.LastSeq, MemberCount: r.MemberCount, CreatedAt: r.CreatedAt.UTC(), Encrypted: r.Encrypted,
	}
	if r.DmLow != nil && r.DmHigh != nil {
		room.Pair = [2]string{*r.DmLow, *r.DmHigh}
	}
	return room
}

func (r roomRow) role() domain.Role { return domain.Role(deref(r.Role)) }

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// messageRow is a messages row (without the search column).
type messageRow struct {
	ID          string
	RoomID      string
	Seq         int64
	UserID      string
	Content     string
	ClientMsgID *string
	CreatedAt   time.Time
	Rev         int64
	ReplyTo     *string
	EditedAt    *time.Time
	DeletedAt   *time.Time
	Reactions   []byte // jsonb: [{"emoji": ..., "count": ...}] or NULL
	ReplyCount  int
	Moderation  []byte // jsonb: {"status": "hidden", "reason": ...} or NULL
	Call        []byte // jsonb: a call message's record, or NULL
	// HasAttachments: attachment rows point at the message (00016).
	HasAttachments bool
	Ciphertext     []byte // jsonb: {algorithm, senderDeviceId, recipients} or NULL
}

const messageColumns = "m.id, m.room_id, m.seq, m.user_id, m.content, m.client_msg_id, m.created_at, " +
	"m.rev, m.reply_to, m.edited_at, m.deleted_at, m.reactions, m.reply_count, m.moderation, m.call, m.has_attachments, m.ciphertext"

func (r messageRow) toDomain() domain.Message {
	m := domain.Message{
		ID: r.ID, RoomID: r.RoomID, Seq: r.Seq, UserID: r.UserID, Content: r.Content,
		ClientMsgID: deref(r.ClientMsgID), CreatedAt: r.CreatedAt.UTC(),
		Rev: r.Rev, ReplyTo: deref(r.ReplyTo), EditedAt: derefTime(r.EditedAt), DeletedAt: derefTime(r.DeletedAt),
		Reactions: decodeReactions(r.Reactions), ReplyCount: r.ReplyCount, Moderation: decodeModeration(r.Moderation),
		Call: jsonbText(r.Call), Ciphertext: decodeCiphertext(r.Ciphertext),
	}
	if r.HasAttachments && r.DeletedAt == nil {
		m.MarkAttachmentsPending()
	}
	return m
}

// jsonbText returns a jsonb column's JSON text (the binary format is a
// version byte 1 and the text); nil for NULL.
func jsonbText(b []byte) []byte {
	if len(b) > 0 && b[0] == 1 {
		b = b[1:]
	}
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}

func derefTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// reactionJSON is an element of messages.reactions.
type reactionJSON struct {
	Emoji string `json:"emoji"`
	Count int    `json:"count"`
}

// decodeReactions decodes messages.reactions (text JSON; the binary jsonb
// format is a version byte 1 and the text). The column is written only by
// this package, so a malformed value is a bug: it reads as none.
func decodeReactions(b []byte) []domain.ReactionCount { return decodeReactionsIn(b, nil) }

// decodeReactionsIn is decodeReactions taking emoji strings from emoji
// (nil: none), and adding those it makes.
func decodeReactionsIn(b []byte, emoji map[string]string) []domain.ReactionCount {
	if len(b) > 0 && b[0] == 1 {
		b = b[1:]
	}
	if len(b) == 0 {
		return nil
	}
	if rs, ok := scanReactions(b, emoji); ok {
		return rs
	}
	var rs []reactionJSON
	if json.Unmarshal(b, &rs) != nil || len(rs) == 0 {
		return nil
	}
	out := make([]domain.ReactionCount, len(rs))
	for i, r := range rs {
		out[i] = domain.ReactionCount(r)
	}
	return out
}

// scanReactions reads reactions in the one form PostgreSQL renders a jsonb
// array of them, [{"count": 2, "emoji": "👍"}, ...] (keys ordered by jsonb,
// one space after ':' and ','), to what encoding/json would decode: its
// reflection was a tenth of a history page's CPU. ok is false for anything
// else (escapes, other keys or spacing, numbers beyond plain integers of
// up to 18 digits, invalid UTF-8), which the caller hands to
// encoding/json. Emoji strings found in emoji are shared, not allocated
// again (a page's reactions use a handful of emoji); emoji nil: none.
func scanReactions(b []byte, emoji map[string]string) (rs []domain.ReactionCount, ok bool) {
	b, ok = bytes.CutPrefix(b, []byte("["))
	if !ok {
		return nil, false
	}
	if string(b) == "]" {
		return nil, true
	}
	rs = make([]domain.ReactionCount, 0, bytes.Count(b, []byte(`"emoji": `)))
	for {
		if b, ok = bytes.CutPrefix(b, []byte(`{"count": `)); !ok {
			return nil, false
		}
		var n int
		if n, b, ok = scanInt(b); !ok {
			return nil, false
		}
		if b, ok = bytes.CutPrefix(b, []byte(`, "emoji": "`)); !ok {
			return nil, false
		}
		end := bytes.IndexByte(b, '"')
		if end < 0 || !plainJSONString(b[:end]) {
			return nil, false
		}
		e, known := emoji[string(b[:end])]
		if !known {
			e = string(b[:end])
			if emoji != nil {
				emoji[e] = e
			}
		}
		if b, ok = bytes.CutPrefix(b[end+1:], []byte("}")); !ok {
			return nil, false
		}
		rs = append(rs, domain.ReactionCount{Emoji: e, Count: n})
		if string(b) == "]" {
			return rs, true
		}
		if b, ok = bytes.CutPrefix(b, []byte(", ")); !ok {
			return nil, false
		}
	}
}

// scanInt reads a JSON integer without fraction or exponent, of at most 18
// digits (so it fits an int), from the start of b.
func scanInt(b []byte) (n int, rest []byte, ok bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		n = n*10 + int(b[i]-'0')
		i++
	}
	// JSON has no leading zeros; the caller's next byte is never '.', 'e' or 'E'.
	if i == 0 || i > 18 || (b[0] == '0' && i > 1) {
		return 0, nil, false
	}
	if neg {
		n = -n
	}
	return n, b[i:], true
}

// plainJSONString reports whether s, found between quotes, is a JSON string
// that decodes to itself: valid UTF-8 with no escape and no control byte.
func plainJSONString(s []byte) bool {
	for _, c := range s {
		if c < 0x20 || c == '\\' {
			return false
		}
	}
	return utf8.Valid(s)
}

// ciphertextJSON is messages.ciphertext.
type ciphertextJSON struct {
	Algorithm      string            `json:"algorithm"`
	SenderDeviceID string            `json:"senderDeviceId"`
	Recipients     map[string]string `json:"recipients"`
}

// encodeCiphertext is the messages.ciphertext value of c (NULL for nil).
func encodeCiphertext(c *domain.Ciphertext) *string {
	if c == nil {
		return nil
	}
	b, err := json.Marshal(ciphertextJSON(*c))
	if err != nil {
		return nil // strings and a map of strings: cannot fail
	}
	s := string(b)
	return &s
}

// decodeCiphertext decodes messages.ciphertext (text JSON, or jsonb's
// binary form: version byte 1 and the text); NULL is nil.
func decodeCiphertext(b []byte) *domain.Ciphertext {
	if len(b) > 0 && b[0] == 1 {
		b = b[1:]
	}
	if len(b) == 0 {
		return nil
	}
	var c ciphertextJSON
	if json.Unmarshal(b, &c) != nil {
		return nil
	}
	d := domain.Ciphertext(c)
	return &d
}

// traceparent is the trace context an event row carries: the message's own
// (a batched send keeps its command's), else that of the span in ctx (the
// request or command whose transaction this is); "" when untraced.
func traceparent(ctx context.Context, own string) string {
	if own != "" {
		return own
	}
	return tracing.Traceparent(ctx)
}
