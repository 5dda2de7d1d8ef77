package postgres_test

import (
	"encoding/json"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/chatforge/chat/migrations"
	"github.com/chatforge/chat/modules/calls/internal/adapters/postgres"
	"github.com/chatforge/chat/modules/calls/internal/domain"
	"github.com/chatforge/chat/platform/config"
	"github.com/chatforge/chat/platform/database"
	"github.com/chatforge/chat/platform/testenv"
)

// fixture is a migrated database with a caller, two members to ring and
// their room.
type fixture struct {
	db                 *gorm.DB
	s                  *postgres.Store
	caller, b, c, room string
}

func setup(t *testing.T) fixture {
	t.Helper()
	db, err := database.Open(t.Context(), config.Postgres{URL: testenv.Postgres(t, migrations.FS), MaxOpenConns: 16, MaxIdleConns: 16},
		slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			_ = sqlDB.Close()
		}
	})
	f := fixture{db: db, s: postgres.New(db)}
	now := time.Now()
	for _, u := range []*string{&f.caller, &f.b, &f.c} {
		*u = uuid.NewString()
		if err := db.Exec(`INSERT INTO users (id, email, display_name, password_hash, created_at, updated_at) VALUES (?, ?, 'U', 'x', ?, ?)`,
			*u, *u+"@example.test", now, now).Error; err != nil {
			t.Fatal(err)
		}
	}
	f.room = uuid.NewString()
	if err := db.Exec(`INSERT INTO rooms (id, kind, name, owner_id) VALUES (?, 'private', 'r', ?)`, f.room, f.caller).Error; err != nil {
		t.Fatal(err)
	}
	return f
}

func (f fixture) ringing(t *testing.T, deadline time.Time) domain.Call {
	t.Helper()
	now := time.Now().UTC()
	c, created, err := f.s.Create(t.Context(), domain.Call{ID: uuid.NewString(), RoomID: f.room, CallerID: f.caller,
		CallerSession: uuid.NewString(), Media: domain.Audio, Invitees: []string{f.b, f.c}, State: domain.Ringing,
		CreatedAt: now, RingDeadline: deadline})
	if err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	return c
}

// Many devices answering at once: exactly one wins, and the call is
// theirs.
func TestAnswerRaceHasOneWinner(t *testing.T) {
	f := setup(t)
	c := f.ringing(t, time.Now().Add(time.Minute))
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		winners []string
	)
	for i := range 12 {
		user := []string{f.b, f.c}[i%2]
		session := uuid.NewString()
		wg.Go(func() {
			_, _, ok, err := f.s.Answer(t.Context(), c.ID, user, session, time.Now())
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				winners = append(winners, session)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	got, err := f.s.Get(t.Context(), c.ID)
	if err != nil || len(winners) != 1 || got.State != domain.Active || got.AnswererSession != winners[0] {
		t.Fatalf("winners %v, call %+v, %v", winners, got, err)
	}
}

// A ring timeout racing an answer: the call is either missed or answered,
// never both, whichever comes first.
func TestExpiryRacesAnswer(t *testing.T) {
	f := setup(t)
	for range 20 {
		c := f.ringing(t, time.Now().Add(-time.Millisecond))
		var (
			wg       sync.WaitGroup
			expired  []domain.Call
			answered bool
		)
		wg.Go(func() {
			var err error
			if expired, err = f.s.ExpireDue(t.Context(), time.Now(), 100); err != nil {
				t.Error(err)
			}
		})
		wg.Go(func() {
			var err error
			if _, _, answered, err = f.s.Answer(t.Context(), c.ID, f.b, uuid.NewString(), time.Now()); err != nil {
				t.Error(err)
			}
		})
		wg.Wait()
		missed := len(expired) == 1 && expired[0].ID == c.ID
		got, _ := f.s.Get(t.Context(), c.ID)
		if missed == answered || (missed && got.Outcome != domain.Missed) || (answered && got.State != domain.Active) {
			t.Fatalf("missed %v answered %v, stored %+v", missed, answered, got)
		}
		if answered { // not left for the next round's sweep
			if _, _, err := f.s.End(t.Context(), c.ID, domain.Active, domain.Completed, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// The caller's early candidates are kept exactly as sent (not re-encoded),
// in order, up to the bound, and handed over once with the answer.
func TestBufferedICE(t *testing.T) {
	f := setup(t)
	c := f.ringing(t, time.Now().Add(time.Minute))
	sent := []json.RawMessage{[]byte(`{"sdpMid":"0", "candidate":"a"}`), []byte(`"b"`), []byte(`{"z":1,"a":[2]}`)}
	for _, cand := range sent {
		if ok, err := f.s.BufferICE(t.Context(), c.ID, c.CallerSession, cand); !ok || err != nil {
			t.Fatalf("buffer: %v %v", ok, err)
		}
	}
	if ok, _ := f.s.BufferICE(t.Context(), c.ID, uuid.NewString(), []byte(`"not the caller"`)); ok {
		t.Fatal("a session other than the caller's buffered a candidate")
	}
	for i := len(sent); i < domain.MaxBufferedICE; i++ {
		if ok, err := f.s.BufferICE(t.Context(), c.ID, c.CallerSession, []byte(`"x"`)); !ok || err != nil {
			t.Fatalf("buffer %d: %v %v", i, ok, err)
		}
	}
	if ok, _ := f.s.BufferICE(t.Context(), c.ID, c.CallerSession, []byte(`"one too many"`)); ok {
		t.Fatalf("buffered more than %d candidates", domain.MaxBufferedICE)
	}
	_, ice, ok, err := f.s.Answer(t.Context(), c.ID, f.c, uuid.NewString(), time.Now())
	if err != nil || !ok || len(ice) != domain.MaxBufferedICE {
		t.Fatalf("answer: %v %v, %d candidates", ok, err, len(ice))
	}
	for i, cand := range sent {
		if string(ice[i]) != string(cand) {
			t.Fatalf("candidate %d = %s, sent %s", i, ice[i], cand)
		}
	}
	if ok, _ := f.s.BufferICE(t.Context(), c.ID, c.CallerSession, []byte(`"late"`)); ok {
		t.Fatal("buffered after the answer")
	}
}

// Busy lists the parties of active calls only; a declined member cannot
// answer.
func TestBusyAndDecline(t *testing.T) {
	f := setup(t)
	c := f.ringing(t, time.Now().Add(time.Minute))
	if d, ok, err := f.s.Decline(t.Context(), c.ID, f.c); err != nil || !ok || len(d.Declined) != 1 || d.Declined[0] != f.c {
		t.Fatalf("decline: %+v %v %v", d, ok, err)
	}
	if _, _, ok, _ := f.s.Answer(t.Context(), c.ID, f.c, uuid.NewString(), time.Now()); ok {
		t.Fatal("a member who declined answered")
	}
	if busy, err := f.s.Busy(t.Context(), []string{f.b, f.c, f.caller}); err != nil || len(busy) != 0 {
		t.Fatalf("busy while ringing: %v %v", busy, err)
	}
	if _, _, ok, err := f.s.Answer(t.Context(), c.ID, f.b, uuid.NewString(), time.Now()); !ok || err != nil {
		t.Fatalf("answer: %v %v", ok, err)
	}
	busy, err := f.s.Busy(t.Context(), []string{f.b, f.c, f.caller})
	if err != nil || len(busy) != 2 {
		t.Fatalf("busy %v %v, want the caller and b", busy, err)
	}
	stale, err := f.s.EndStale(t.Context(), time.Now().Add(time.Minute), time.Now(), 10)
	if err != nil || len(stale) != 1 || stale[0].Outcome != domain.Completed {
		t.Fatalf("stale %+v %v", stale, err)
	}
}
