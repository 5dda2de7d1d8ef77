// Package postgres stores calls in PostgreSQL (table calls, migration
// 00015). Every state change is one conditional UPDATE ... RETURNING, so
// racing commands and sweeps on several api instances change a call once.
package postgres

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/chatforge/chat/modules/calls/internal/domain"
)

// Store is the calls repository.
type Store struct{ db *gorm.DB }

// New returns a store on db.
func New(db *gorm.DB) *Store { return &Store{db: db} }

// callRow is a calls row as read (arrays as JSON text).
type callRow struct {
	ID              string
	RoomID          string
	CallerID        string
	CallerSession   string
	Media           string
	Invitees        string
	Declined        string
	State           string
	Outcome         *string
	AnsweredBy      *string
	AnswererSession *string
	CreatedAt       time.Time
	RingDeadline    time.Time
	AnsweredAt      *time.Time
	EndedAt         *time.Time
	ICE             *string // caller_ice, read by Answer only
}

const columns = `id, room_id, caller_id, caller_session, media, array_to_json(invitees)::text AS invitees,
	array_to_json(declined)::text AS declined, state, outcome, answered_by, answerer_session,
	created_at, ring_deadline, answered_at, ended_at`

func (r callRow) toDomain() domain.Call {
	c := domain.Call{
		ID: r.ID, RoomID: r.RoomID, CallerID: r.CallerID, CallerSession: r.CallerSession, Media: r.Media,
		State: domain.State(r.State), CreatedAt: r.CreatedAt.UTC(), RingDeadline: r.RingDeadline.UTC(),
	}
	_ = json.Unmarshal([]byte(r.Invitees), &c.Invitees) // written by this package: always a JSON array
	_ = json.Unmarshal([]byte(r.Declined), &c.Declined)
	if r.Outcome != nil {
		c.Outcome = domain.Outcome(*r.Outcome)
	}
	if r.AnsweredBy != nil {
		c.AnsweredBy = *r.AnsweredBy
	}
	if r.AnswererSession != nil {
		c.AnswererSession = *r.AnswererSession
	}
	if r.AnsweredAt != nil {
		c.AnsweredAt = r.AnsweredAt.UTC()
	}
	if r.EndedAt != nil {
		c.EndedAt = r.EndedAt.UTC()
	}
	return c
}

// uuidArray is a uuid[] literal of ids (UUIDs: nothing to quote).
func uuidArray(ids []string) string { return "{" + strings.Join(ids, ",") + "}" }

func nullable[T comparable](v T) *T {
	var zero T
	if v == zero {
		return nil
	}
	return &v
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// one runs a statement returning calls rows and gives the first; ok false
// when it returned none.
func (s *Store) one(ctx context.Context, sql string, args ...any) (domain.Call, bool, error) {
	var rows []callRow
	if err := s.db.WithContext(ctx).Raw(sql, args...).Scan(&rows).Error; err != nil {
		return domain.Call{}, false, err
	}
	if len(rows) == 0 {
		return domain.Call{}, false, nil
	}
	return rows[0].toDomain(), true, nil
}

func (s *Store) many(ctx context.Context, sql string, args ...any) ([]domain.Call, error) {
	var rows []callRow
	if err := s.db.WithContext(ctx).Raw(sql, args...).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]domain.Call, len(rows))
	for i, r := range rows {
		out[i] = r.toDomain()
	}
	return out, nil
}

// Create inserts c, or returns the call that has its id.
func (s *Store) Create(ctx context.Context, c domain.Call) (domain.Call, bool, error) {
	stored, ok, err := s.one(ctx, `INSERT INTO calls (id, room_id, caller_id, caller_session, media, invitees, state, outcome,
			created_at, ring_deadline, ended_at)
		VALUES (?, ?, ?, ?, ?, CAST(? AS uuid[]), ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING
		RETURNING `+columns,
		c.ID, c.RoomID, c.CallerID, c.CallerSession, c.Media, uuidArray(c.Invitees), string(c.State), nullable(string(c.Outcome)),
		c.CreatedAt, c.RingDeadline, nullTime(c.EndedAt))
	if err != nil || ok {
		return stored, ok, err
	}
	stored, err = s.Get(ctx, c.ID)
	return stored, false, err
}

// Get returns a call.
func (s *Store) Get(ctx context.Context, id string) (domain.Call, error) {
	c, ok, err := s.one(ctx, `SELECT `+columns+` FROM calls WHERE id = ?`, id)
	if err == nil && !ok {
		err = domain.ErrNotFound
	}
	return c, err
}

// Busy returns the users among users who are a party of an active call.
func (s *Store) Busy(ctx context.Context, users []string) ([]string, error) {
	var out []string
	err := s.db.WithContext(ctx).Raw(`SELECT u::text FROM unnest(CAST(? AS uuid[])) AS u
		WHERE EXISTS (SELECT 1 FROM calls WHERE state = 'active' AND caller_id = u)
		   OR EXISTS (SELECT 1 FROM calls WHERE state = 'active' AND answered_by = u)`, uuidArray(users)).Scan(&out).Error
	return out, err
}

// Answer makes a ringing call active for an invitee who has not declined.
func (s *Store) Answer(ctx context.Context, id, user, session string, now time.Time) (domain.Call, []json.RawMessage, bool, error) {
	var rows []callRow
	err := s.db.WithContext(ctx).Raw(`UPDATE calls SET state = 'active', answered_by = ?, answerer_session = ?, answered_at = ?,
			caller_ice = '{}'
		FROM (SELECT caller_ice AS ice FROM calls WHERE id = ? FOR UPDATE) old
		WHERE id = ? AND state = 'ringing' AND CAST(? AS uuid) = ANY (invitees) AND NOT CAST(? AS uuid) = ANY (declined)
		RETURNING `+columns+`, array_to_json(old.ice)::text AS ice`, user, session, now, id, id, user, user).Scan(&rows).Error
	if err != nil || len(rows) == 0 {
		return domain.Call{}, nil, false, err
	}
	var texts []string
	if rows[0].ICE != nil {
		_ = json.Unmarshal([]byte(*rows[0].ICE), &texts)
	}
	ice := make([]json.RawMessage, len(texts))
	for i, c := range texts {
		ice[i] = json.RawMessage(c)
	}
	return rows[0].toDomain(), ice, true, nil
}

// BufferICE appends a candidate of the caller's while the call rings.
func (s *Store) BufferICE(ctx context.Context, id, session string, candidate json.RawMessage) (bool, error) {
	res := s.db.WithContext(ctx).Exec(`UPDATE calls SET caller_ice = array_append(caller_ice, CAST(? AS text))
		WHERE id = ? AND state = 'ringing' AND caller_session = ? AND cardinality(caller_ice) < ?`,
		string(candidate), id, session, domain.MaxBufferedICE)
	return res.RowsAffected == 1, res.Error
}

// Decline adds user to a ringing call's decliners.
func (s *Store) Decline(ctx context.Context, id, user string) (domain.Call, bool, error) {
	return s.one(ctx, `UPDATE calls SET declined = CASE WHEN CAST(? AS uuid) = ANY (declined) THEN declined
			ELSE array_append(declined, CAST(? AS uuid)) END
		WHERE id = ? AND state = 'ringing' AND CAST(? AS uuid) = ANY (invitees)
		RETURNING `+columns, user, user, id, user)
}

// End ends a call in state from.
func (s *Store) End(ctx context.Context, id string, from domain.State, outcome domain.Outcome, now time.Time) (domain.Call, bool, error) {
	return s.one(ctx, `UPDATE calls SET state = 'ended', outcome = ?, ended_at = ?, caller_ice = '{}'
		WHERE id = ? AND state = ? RETURNING `+columns, string(outcome), now, id, string(from))
}

// ExpireDue ends ringing calls past their deadline as missed. SKIP LOCKED:
// concurrent sweeps (other instances) take other rows, and a row being
// answered right now is left to that answer.
func (s *Store) ExpireDue(ctx context.Context, now time.Time, limit int) ([]domain.Call, error) {
	return s.many(ctx, `UPDATE calls SET state = 'ended', outcome = 'missed', ended_at = ?, caller_ice = '{}'
		WHERE id IN (SELECT id FROM calls WHERE state = 'ringing' AND ring_deadline <= ?
			ORDER BY ring_deadline LIMIT ? FOR UPDATE SKIP LOCKED)
		AND state = 'ringing'
		RETURNING `+columns, now, now, limit)
}

// EndStale ends active calls answered before answeredBefore.
func (s *Store) EndStale(ctx context.Context, answeredBefore, now time.Time, limit int) ([]domain.Call, error) {
	return s.many(ctx, `UPDATE calls SET state = 'ended', outcome = 'completed', ended_at = ?
		WHERE id IN (SELECT id FROM calls WHERE state = 'active' AND answered_at < ?
			ORDER BY answered_at LIMIT ? FOR UPDATE SKIP LOCKED)
		AND state = 'active'
		RETURNING `+columns, now, answeredBefore, limit)
}

// Unrecorded returns ended calls whose history entry is not posted.
func (s *Store) Unrecorded(ctx context.Context, before time.Time, limit int) ([]domain.Call, error) {
	return s.many(ctx, `SELECT `+columns+` FROM calls WHERE state = 'ended' AND recorded_at IS NULL AND ended_at < ?
		ORDER BY ended_at LIMIT ?`, before, limit)
}

// MarkRecorded notes that the call's history entry exists.
func (s *Store) MarkRecorded(ctx context.Context, id string, now time.Time) error {
	return s.db.WithContext(ctx).Exec(`UPDATE calls SET recorded_at = ? WHERE id = ? AND recorded_at IS NULL`, now, id).Error
}
