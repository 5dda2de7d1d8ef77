package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
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
	return openDSN(t, testenv.Postgres(t, migrations.FS))
}

func openDSN(t *testing.T, dsn string) *gorm.DB {
	t.Helper()
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

// addSession gives userID a session expiring at expires (revoked at
// revoked, unless nil).
func addSession(t *testing.T, db *gorm.DB, userID string, expires time.Time, revoked any) string {
	t.Helper()
	id := uuid.NewString()
	err := db.Exec(`INSERT INTO sessions (id, user_id, created_at, last_used_at, expires_at, revoked_at)
		VALUES (?, ?, now(), now(), ?, ?)`, id, userID, expires, revoked).Error
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func newLiveSession(t *testing.T, db *gorm.DB, userID string) string {
	t.Helper()
	return addSession(t, db, userID, time.Now().Add(time.Hour), nil)
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
	sessions := map[string]string{alice: newLiveSession(t, db, alice), bob: newLiveSession(t, db, bob), carol: newLiveSession(t, db, carol)}
	sub := func(user, endpoint string) domain.Subscription {
		s, err := repo.Upsert(ctx, domain.Subscription{ID: uuid.NewString(), UserID: user, SessionID: sessions[user],
			Endpoint: endpoint, P256DH: "k", Auth: "a", CreatedAt: time.Now()})
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

// A subscription lives only as long as the session that registered it:
// once that session is revoked (logout, password reset) or expired it is
// neither listed, nor a push recipient, nor delivered to, and the worker
// deletes it; purging the session deletes it too.
func TestSubscriptionsFollowTheirSession(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t)
	repo, rooms := NewSubscriptions(db), NewRooms(db)
	alice, bob := addUser(t, db, "Alice"), addUser(t, db, "Bob")
	phone, laptop := newLiveSession(t, db, bob), newLiveSession(t, db, bob)
	register := func(session, endpoint string) domain.Subscription {
		t.Helper()
		s, err := repo.Upsert(ctx, domain.Subscription{ID: uuid.NewString(), UserID: bob, SessionID: session,
			Endpoint: endpoint, P256DH: "k", Auth: "a", CreatedAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	onPhone, onLaptop := register(phone, "https://push.example/phone"), register(laptop, "https://push.example/laptop")
	if onPhone.SessionID != phone {
		t.Errorf("stored session %q, want %q", onPhone.SessionID, phone)
	}
	room := uuid.NewString()
	db.Exec(`INSERT INTO rooms (id, kind, name, owner_id) VALUES (?, 'private', 'r', ?)`, room, alice)
	for _, u := range []string{alice, bob} {
		db.Exec(`INSERT INTO memberships (room_id, user_id, role, joined_at) VALUES (?, ?, 'member', now())`, room, u)
	}
	ids := func(subs []domain.Subscription, err error) []string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, s := range subs {
			out = append(out, s.ID)
		}
		return out
	}
	recipients := func() []string {
		t.Helper()
		got, err := rooms.PushRecipients(ctx, room, alice)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	stored := func() int64 {
		t.Helper()
		var n int64
		db.Raw(`SELECT count(*) FROM push_subscriptions WHERE user_id = ?`, bob).Scan(&n)
		return n
	}

	if got := ids(repo.ListByUser(ctx, bob)); !slices.Equal(got, []string{onLaptop.ID, onPhone.ID}) {
		t.Errorf("listed %v, want both devices (laptop, phone)", got)
	}

	// The laptop session logs out: its subscription is dead, the phone's not.
	db.Exec(`UPDATE sessions SET revoked_at = now() WHERE id = ?`, laptop)
	if got := ids(repo.ListByUser(ctx, bob)); !slices.Equal(got, []string{onPhone.ID}) {
		t.Errorf("listed %v after the laptop's logout, want only the phone's %s", got, onPhone.ID)
	}
	if got := recipients(); !slices.Equal(got, []string{bob}) {
		t.Errorf("recipients %v, want bob (his phone session is live)", got)
	}
	if got := ids(repo.Deliverable(ctx, bob)); !slices.Equal(got, []string{onPhone.ID}) {
		t.Errorf("deliverable %v, want only the phone's %s", got, onPhone.ID)
	}
	if n := stored(); n != 1 {
		t.Errorf("%d subscriptions stored after delivery, want the dead one deleted", n)
	}

	// The phone session expires: nothing is left to push to.
	db.Exec(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = ?`, phone)
	if got := ids(repo.ListByUser(ctx, bob)); len(got) != 0 {
		t.Errorf("listed %v with every session dead", got)
	}
	if got := recipients(); len(got) != 0 {
		t.Errorf("recipients %v with bob's sessions dead, want none", got)
	}
	if got := ids(repo.Deliverable(ctx, bob)); len(got) != 0 || stored() != 0 {
		t.Errorf("deliverable %v, %d stored; want none", got, stored())
	}

	// Signing in again and re-registering the device revives it under the
	// new session.
	fresh := newLiveSession(t, db, bob)
	again := register(fresh, "https://push.example/laptop")
	if got := ids(repo.ListByUser(ctx, bob)); !slices.Equal(got, []string{again.ID}) || again.SessionID != fresh {
		t.Errorf("listed %v, session %s after re-registering; want %s on %s", got, again.SessionID, again.ID, fresh)
	}
	// Re-registering an endpoint moves it to the registering session.
	other := newLiveSession(t, db, bob)
	if moved := register(other, "https://push.example/laptop"); moved.ID != again.ID || moved.SessionID != other {
		t.Errorf("re-registered %+v, want id %s on session %s", moved, again.ID, other)
	}

	// Purging the session (housekeeping) takes its subscriptions along.
	if err := db.Exec(`DELETE FROM sessions WHERE id = ?`, other).Error; err != nil {
		t.Fatal(err)
	}
	if n := stored(); n != 0 {
		t.Errorf("%d subscriptions left after their session was purged", n)
	}
}

// A dead session's subscriptions take no place under the per-user cap.
func TestDeadSessionsFreeTheCap(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openDB(t)
	repo := NewSubscriptions(db)
	bob := addUser(t, db, "Bob")
	old := newLiveSession(t, db, bob)
	for i := range domain.MaxSubscriptionsPerUser {
		if _, err := repo.Upsert(ctx, domain.Subscription{ID: uuid.NewString(), UserID: bob, SessionID: old,
			Endpoint: fmt.Sprintf("https://push.example/%d", i), P256DH: "k", Auth: "a", CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	db.Exec(`UPDATE sessions SET revoked_at = now() WHERE id = ?`, old)
	s, err := repo.Upsert(ctx, domain.Subscription{ID: uuid.NewString(), UserID: bob, SessionID: newLiveSession(t, db, bob),
		Endpoint: "https://push.example/new", P256DH: "k", Auth: "a", CreatedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	db.Raw(`SELECT count(*) FROM push_subscriptions WHERE user_id = ?`, bob).Scan(&n)
	if l, _ := repo.ListByUser(ctx, bob); n != 1 || len(l) != 1 || l[0].ID != s.ID {
		t.Errorf("%d stored, %d listed; want only the new subscription", n, len(l))
	}
}

// Migration 00004 (push_subscriptions.session_id) and 00005 (the session
// purge index) roll back and apply again.
func TestPushSessionMigrationsRollBack(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("needs PostgreSQL")
	}
	ctx := context.Background()
	dsn := testenv.Postgres(t, migrations.FS)
	db := openDSN(t, dsn)
	has := func(sql string) bool {
		t.Helper()
		var ok bool
		if err := db.Raw(sql).Scan(&ok).Error; err != nil {
			t.Fatal(err)
		}
		return ok
	}
	column := `SELECT EXISTS (SELECT 1 FROM information_schema.columns
		WHERE table_name = 'push_subscriptions' AND column_name = 'session_id')`
	index := `SELECT to_regclass('sessions_purge_idx') IS NOT NULL`
	if !has(column) || !has(index) {
		t.Fatal("migrated schema lacks push_subscriptions.session_id or sessions_purge_idx")
	}
	log := slog.New(slog.DiscardHandler)
	// Roll back one migration at a time until 00004 is undone, whatever
	// later migrations exist.
	for i := 0; has(column); i++ {
		if i == 20 {
			t.Fatal("20 rollbacks did not undo 00004")
		}
		if err := database.Migrate(ctx, dsn, migrations.FS, "down", log); err != nil {
			t.Fatal(err)
		}
	}
	if has(column) || has(index) {
		t.Fatal("rolling back 00005 and 00004 left session_id or sessions_purge_idx")
	}
	if err := database.Migrate(ctx, dsn, migrations.FS, "up", log); err != nil {
		t.Fatal(err)
	}
	if !has(column) || !has(index) {
		t.Fatal("migrating up again did not restore the schema")
	}
}
