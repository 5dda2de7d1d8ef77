package postgres

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/chatforge/chat/migrations"
	"github.com/chatforge/chat/modules/notify/internal/app"
	"github.com/chatforge/chat/modules/notify/internal/domain"
	"github.com/chatforge/chat/platform/config"
	"github.com/chatforge/chat/platform/database"
	"github.com/chatforge/chat/platform/testenv"
)

// openDB gives each test its own migrated database (testenv), so tests
// run in parallel.
func openDB(t *testing.T) *gorm.DB {
	t.Helper()
	if testing.Short() {
		t.Skip("needs PostgreSQL")
	}
	dsn := testenv.Postgres(t, migrations.FS)
	db, err := database.Open(context.Background(),
		config.Postgres{URL: dsn, MaxOpenConns: 20, MaxIdleConns: 5}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s, err := db.DB(); err == nil {
			_ = s.Close()
		}
	})
	return db
}

func addUser(t *testing.T, db *gorm.DB, name string) string {
	t.Helper()
	id := uuid.NewString()
	err := db.Exec(`INSERT INTO users (id, email, display_name, password_hash, created_at, updated_at)
		VALUES (?, ?, ?, 'x', now(), now())`, id, id[:8]+"@example.com", name).Error
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestLedgerClaims(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l := NewLedger(openDB(t))
	now := time.Now().UTC().Truncate(time.Millisecond)
	e := domain.Email{Kind: domain.KindVerify, Key: "verify:abc", UserID: uuid.NewString(), To: "a@b.c"}
	claim := func(at time.Time) app.Claim {
		t.Helper()
		c, err := l.Claim(ctx, e, "id@b.c", at, at.Add(-30*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if c := claim(now); c != app.ClaimGranted {
		t.Fatalf("first claim %v", c)
	}
	if c := claim(now.Add(time.Second)); c != app.ClaimBusy {
		t.Fatalf("claim during a fresh claim %v, want busy", c)
	}
	if err := l.Release(ctx, e.Key, "connection refused"); err != nil {
		t.Fatal(err)
	}
	if c := claim(now.Add(2 * time.Second)); c != app.ClaimGranted {
		t.Fatalf("claim after release %v", c)
	}
	if c := claim(now.Add(time.Minute)); c != app.ClaimGranted {
		t.Fatalf("claim after the claim went stale %v", c)
	}
	if err := l.MarkSent(ctx, e.Key, now); err != nil {
		t.Fatal(err)
	}
	if c := claim(now.Add(time.Hour)); c != app.ClaimAlreadySent {
		t.Fatalf("claim after sent %v", c)
	}
}

func TestLedgerConcurrentClaimsGrantOne(t *testing.T) {
	t.Parallel()
	l := NewLedger(openDB(t))
	now := time.Now()
	e := domain.Email{Kind: domain.KindPasswordReset, Key: "password_reset:race", To: "a@b.c"}
	var wg sync.WaitGroup
	var mu sync.Mutex
	granted := 0
	for range 8 {
		wg.Go(func() {
			c, err := l.Claim(context.Background(), e, "m@b.c", now, now.Add(-time.Minute))
			if err != nil {
				t.Error(err)
				return
			}
			if c == app.ClaimGranted {
				mu.Lock()
				granted++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if granted != 1 {
		t.Fatalf("%d concurrent claims granted, want 1", granted)
	}
}

func TestSubscriptionsAndRecipients(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t)
	repo, rooms := NewSubscriptions(db), NewRooms(db)
	alice, bob, carol := addUser(t, db, "Alice"), addUser(t, db, "Bob"), addUser(t, db, "Carol")
	sub := func(user, endpoint string) domain.Subscription {
		s, err := repo.Upsert(ctx, domain.Subscription{ID: uuid.NewString(), UserID: user, Endpoint: endpoint,
			P256DH: "k", Auth: "a", CreatedAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	first := sub(bob, "https://push.example/1")
	again := sub(bob, "https://push.example/1")
	if again.ID != first.ID {
		t.Errorf("re-registering an endpoint made a new id %s (was %s)", again.ID, first.ID)
	}
	moved := sub(carol, "https://push.example/1")
	if moved.UserID != carol {
		t.Errorf("endpoint did not move to its new owner")
	}
	if l, _ := repo.ListByUser(ctx, bob); len(l) != 0 {
		t.Errorf("bob keeps %d subscriptions after the move", len(l))
	}
	for i := range domain.MaxSubscriptionsPerUser + 3 {
		sub(bob, "https://push.example/b"+string(rune('a'+i)))
	}
	if l, _ := repo.ListByUser(ctx, bob); len(l) != domain.MaxSubscriptionsPerUser {
		t.Errorf("bob has %d subscriptions, want the cap %d", len(l), domain.MaxSubscriptionsPerUser)
	}
	if err := repo.Delete(ctx, bob, moved.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("deleting another user's subscription: %v, want ErrNotFound", err)
	}

	room := uuid.NewString()
	db.Exec(`INSERT INTO rooms (id, kind, name, owner_id) VALUES (?, 'private', 'ops', ?)`, room, alice)
	for _, u := range []string{alice, bob, carol} {
		db.Exec(`INSERT INTO memberships (room_id, user_id, role, joined_at) VALUES (?, ?, 'member', now())`, room, u)
	}
	got, err := rooms.PushRecipients(ctx, room, alice)
	if err != nil || len(got) != 2 {
		t.Fatalf("recipients %v err %v, want bob and carol", got, err)
	}
	if got, _ := rooms.PushRecipients(ctx, "00000000-0000-0000-0000-000000000001", alice); len(got) != 0 {
		t.Errorf("global room recipients %v, want none", got)
	}
	rn, un, err := rooms.Names(ctx, room, alice)
	if err != nil || rn != "ops" || un != "Alice" {
		t.Errorf("names %q %q err %v", rn, un, err)
	}
}
