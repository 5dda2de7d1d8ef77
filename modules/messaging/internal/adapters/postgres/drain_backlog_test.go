package postgres_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/chatforge/chat/migrations"
	"github.com/chatforge/chat/modules/messaging/internal/app"
	"github.com/chatforge/chat/modules/messaging/internal/domain"
	"github.com/chatforge/chat/platform/config"
	"github.com/chatforge/chat/platform/database"
	"github.com/chatforge/chat/platform/testenv"
)

// A backlog of 100,000 events drains completely, each drain taking a full
// batch in outbox id order: every statement makes the same progress, from
// the first batch to the last.
func TestDrainEmptiesALargeBacklog(t *testing.T) {
	db := open(t, testenv.Postgres(t, migrations.FS))
	if err := db.Exec(`INSERT INTO outbox (event_id, room_id, type, payload)
		SELECT gen_random_uuid(), gen_random_uuid(), 'message.created', '{}' FROM generate_series(1, 100000)`).Error; err != nil {
		t.Fatal(err)
	}
	s := newStore(db)
	const batch = 500
	var last int64
	for drains := 1; ; drains++ {
		n, err := s.Drain(t.Context(), batch, func(_ context.Context, recs []domain.Record) error {
			for _, r := range recs {
				if r.OutboxID <= last {
					t.Fatalf("outbox id %d after %d: out of order", r.OutboxID, last)
				}
				last = r.OutboxID
			}
			return nil
		})
		if err != nil {
			t.Fatalf("drain %d: %v", drains, err)
		}
		if n == 0 {
			if drains != 100000/batch+1 || last != 100000 {
				t.Fatalf("backlog drained in %d drains up to id %d, want %d drains up to 100000", drains-1, last, 100000/batch)
			}
			return
		}
		if n != batch {
			t.Fatalf("drain %d took %d records, want a full batch of %d", drains, n, batch)
		}
	}
}

// recorder is a Publisher that keeps what it is given.
type recorder struct {
	mu  sync.Mutex
	ids []int64
}

func (r *recorder) Publish(_ context.Context, recs []domain.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rec := range recs {
		r.ids = append(r.ids, rec.OutboxID)
	}
	return nil
}

func (r *recorder) count() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.ids) }

// When PostgreSQL cannot serve the relay's batch within the statement
// timeout (here: the 11th pending record is locked by another transaction,
// so every drain that reaches it waits until cancelled), the relay does not
// retry the same batch forever: it halves it and publishes the 10 records
// it can reach, then the rest once the lock is gone, in order.
func TestRelayMakesProgressPastStatementTimeouts(t *testing.T) {
	dsn := testenv.Postgres(t, migrations.FS)
	db, err := database.Open(t.Context(), config.Postgres{URL: dsn, MaxOpenConns: 4, MaxIdleConns: 4,
		StatementTimeout: 100 * time.Millisecond}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			_ = sqlDB.Close()
		}
	})
	if err := db.Exec(`INSERT INTO outbox (event_id, room_id, type, payload)
		SELECT gen_random_uuid(), gen_random_uuid(), 'message.created', '{}' FROM generate_series(1, 40)`).Error; err != nil {
		t.Fatal(err)
	}
	blocker := db.Begin()
	if err := blocker.Exec(`SELECT id FROM outbox WHERE id = 11 FOR UPDATE`).Error; err != nil {
		t.Fatal(err)
	}
	defer blocker.Rollback()

	s := newStore(db)
	pub := &recorder{}
	relay := app.New(ports(s), app.Options{}).Relay(s, pub, app.RelayOptions{Batch: 64, MinIdle: time.Millisecond,
		MaxBackoff: 10 * time.Millisecond})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- relay.Run(ctx) }()
	defer func() { cancel(); <-done }()

	wait := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); pub.count() < n; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("published %d records, want %d", pub.count(), n)
			}
		}
	}
	wait(10)
	blocker.Rollback()
	wait(40)
	for i, id := range pub.ids {
		if id != int64(i+1) {
			t.Fatalf("record %d has outbox id %d: out of order", i, id)
		}
	}
}

// OutboxLag is the age of the oldest pending record, 0 with none.
func TestOutboxLag(t *testing.T) {
	db := open(t, testenv.Postgres(t, migrations.FS))
	s := newStore(db)
	if lag, err := s.OutboxLag(t.Context()); err != nil || lag != 0 {
		t.Fatalf("lag of an empty outbox = %v, %v; want 0", lag, err)
	}
	if err := db.Exec(`INSERT INTO outbox (event_id, room_id, type, payload, created_at)
		VALUES (gen_random_uuid(), gen_random_uuid(), 'message.created', '{}', now() - interval '10 seconds'),
		       (gen_random_uuid(), gen_random_uuid(), 'message.created', '{}', now())`).Error; err != nil {
		t.Fatal(err)
	}
	if lag, err := s.OutboxLag(t.Context()); err != nil || lag < 9*time.Second || lag > time.Minute {
		t.Fatalf("lag = %v, %v; want about 10s", lag, err)
	}
}
