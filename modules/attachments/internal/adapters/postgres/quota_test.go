package postgres_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/chatforge/chat/modules/attachments/internal/adapters/postgres"
	"github.com/chatforge/chat/modules/attachments/internal/app"
	"github.com/chatforge/chat/modules/attachments/internal/domain"
)

func (f *fixture) upload(t *testing.T, user string, size int) (app.View, error) {
	t.Helper()
	return f.app.Upload(context.Background(), user, globalRoom, "f.txt", strings.NewReader(strings.Repeat("x", size)))
}

func (f *fixture) usage(t *testing.T, user string) int64 {
	t.Helper()
	n, err := postgres.New(f.db).Usage(context.Background(), user)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestUploadQuota: a user's files stay within UserQuota; refused uploads
// store nothing; deleted and swept files stop counting; other users have
// their own quota.
func TestUploadQuota(t *testing.T) {
	f := newFixtureWith(t, app.Config{MaxBytes: 1000, UserQuota: 100}, nil)
	f.rooms[f.bob] = map[string]bool{globalRoom: true}
	ctx := context.Background()
	first, err := f.upload(t, f.alice, 60)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.upload(t, f.alice, 41); !errors.Is(err, domain.ErrQuota) {
		t.Fatalf("over the quota: %v", err)
	}
	if got := f.usage(t, f.alice); got != 60 {
		t.Fatalf("usage after a refused upload = %d, want 60", got)
	}
	if _, err := f.upload(t, f.alice, 40); err != nil {
		t.Fatalf("up to the quota exactly: %v", err)
	}
	// At the quota: refused before the body is read.
	if _, err := f.app.Upload(ctx, f.alice, globalRoom, "f.txt", failingReader{}); !errors.Is(err, domain.ErrQuota) {
		t.Fatalf("at the quota: %v", err)
	}
	if _, err := f.upload(t, f.bob, 100); err != nil {
		t.Fatalf("another user's quota: %v", err)
	}
	// A deleted file frees its bytes.
	att, err := postgres.New(f.db).Get(ctx, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.app.Drop(ctx, att); err != nil {
		t.Fatal(err)
	}
	if _, err := f.upload(t, f.alice, 60); err != nil {
		t.Fatalf("after a delete: %v", err)
	}
	// Swept orphans free theirs.
	f.now = f.now.Add(2 * time.Hour)
	if n, err := f.app.PurgeOrphans(ctx, time.Hour); err != nil || n != 3 {
		t.Fatalf("PurgeOrphans = %d, %v; want 3", n, err)
	}
	if got := f.usage(t, f.alice); got != 0 {
		t.Fatalf("usage after the sweep = %d", got)
	}
	if _, err := f.upload(t, f.alice, 100); err != nil {
		t.Fatalf("after the sweep: %v", err)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("the body must not be read") }

// TestUploadQuotaConcurrent: concurrent uploads of one user never take
// their files over the quota together (each checks and inserts under the
// user's lock).
func TestUploadQuotaConcurrent(t *testing.T) {
	f := newFixtureWith(t, app.Config{MaxBytes: 1000, UserQuota: 100}, nil)
	var (
		wg            sync.WaitGroup
		mu            sync.Mutex
		ok, overQuota int
		otherFailures []error
	)
	for range 12 {
		wg.Go(func() {
			_, err := f.upload(t, f.alice, 30)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, domain.ErrQuota):
				overQuota++
			default:
				otherFailures = append(otherFailures, err)
			}
		})
	}
	wg.Wait()
	if ok != 3 || overQuota != 9 || len(otherFailures) > 0 {
		t.Fatalf("%d stored, %d over quota, errors %v; want 3 and 9", ok, overQuota, otherFailures)
	}
	if got := f.usage(t, f.alice); got != 90 {
		t.Fatalf("usage = %d, want 90", got)
	}
}

// failingBlobs refuses every Put.
type failingBlobs struct{ app.Blobs }

func (failingBlobs) Put(context.Context, string, io.Reader, int64, string) error {
	return errors.New("store down")
}

// TestFailedUploadLeavesNothing: when the blob store fails, the row the
// upload inserted first goes again, so the quota does not count it.
func TestFailedUploadLeavesNothing(t *testing.T) {
	f := newFixtureWith(t, app.Config{MaxBytes: 1000, UserQuota: 100}, nil)
	f.app = app.New(postgres.New(f.db), failingBlobs{f.blobs}, f.rooms, domain.NewSigner([]byte("0123456789abcdef")),
		app.Config{MaxBytes: 1000, UserQuota: 100, LinkTTL: time.Hour, TempDir: t.TempDir()}, time.Now, slog.New(slog.DiscardHandler))
	if _, err := f.upload(t, f.alice, 50); err == nil {
		t.Fatal("upload with the store down succeeded")
	}
	if got := f.usage(t, f.alice); got != 0 {
		t.Fatalf("usage after a failed upload = %d", got)
	}
}

// TestPurgeDeletedMessagesFiles: the sweep removes the files of deleted
// messages whatever their age (what the api's drop after a delete left),
// clears the messages' has_attachments, and keeps live messages' files.
func TestPurgeDeletedMessagesFiles(t *testing.T) {
	f := newFixture(t, 1000)
	ctx := context.Background()
	message := func(seq int, ids ...string) string {
		id := uuid.NewString()
		err := f.db.Transaction(func(tx *gorm.DB) error {
			if err := tx.Exec(`INSERT INTO messages (id, room_id, seq, rev, user_id, content, created_at, has_attachments)
				VALUES (?, ?, ?, ?, ?, '', now(), true)`, id, globalRoom, seq, seq, f.alice).Error; err != nil {
				return err
			}
			_, err := postgres.Claim(tx, f.alice, globalRoom, id, ids)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	gone, err := f.upload(t, f.alice, 10)
	if err != nil {
		t.Fatal(err)
	}
	kept, err := f.upload(t, f.alice, 10)
	if err != nil {
		t.Fatal(err)
	}
	deleted, live := message(1, gone.ID), message(2, kept.ID)
	if err := f.db.Exec(`UPDATE messages SET deleted_at = now(), content = '' WHERE id = ?`, deleted).Error; err != nil {
		t.Fatal(err)
	}
	if n, err := f.app.PurgeOrphans(ctx, time.Hour); err != nil || n != 1 {
		t.Fatalf("PurgeOrphans = %d, %v; want 1", n, err)
	}
	if _, _, err := f.blobs.Open(ctx, gone.ID); !errors.Is(err, app.ErrBlobNotFound) {
		t.Errorf("deleted message's file: %v", err)
	}
	if _, _, err := f.blobs.Open(ctx, kept.ID); err != nil {
		t.Errorf("live message's file: %v", err)
	}
	for id, want := range map[string]bool{deleted: false, live: true} {
		var has bool
		if err := f.db.Raw(`SELECT has_attachments FROM messages WHERE id = ?`, id).Scan(&has).Error; err != nil || has != want {
			t.Errorf("has_attachments of %s = %v (%v), want %v", id, has, err, want)
		}
	}
}

// TestCreateQuotaRace: inserts of one user released together (the race
// the per-user lock closes: without it several see the same sum).
func TestCreateQuotaRace(t *testing.T) {
	f := newFixture(t, 1000)
	repo := postgres.New(f.db)
	start := make(chan struct{})
	errs := make(chan error, 40)
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			<-start
			errs <- repo.Create(context.Background(), domain.Attachment{ID: uuid.NewString(), RoomID: globalRoom, UserID: f.alice,
				Name: "f", ContentType: "text/plain", Size: 30, CreatedAt: time.Now()}, 100)
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		if err == nil {
			ok++
		} else if !errors.Is(err, domain.ErrQuota) {
			t.Fatal(err)
		}
	}
	if got := f.usage(t, f.alice); ok != 3 || got != 90 {
		t.Fatalf("%d inserted, usage %d; want 3 and 90", ok, got)
	}
}
