package attachments_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/chatforge/chat/migrations"
	"github.com/chatforge/chat/modules/attachments"
	"github.com/chatforge/chat/platform/config"
	"github.com/chatforge/chat/platform/database"
	"github.com/chatforge/chat/platform/testenv"
)

const globalRoom = "00000000-0000-0000-0000-000000000001"

type everyone struct{}

func (everyone) CanRead(context.Context, string, string) error { return nil }
func (everyone) CanPost(context.Context, string, string) error { return nil }

func openDB(t *testing.T) *gorm.DB {
	t.Helper()
	if testing.Short() {
		t.Skip("needs PostgreSQL")
	}
	db, err := database.Open(context.Background(), config.Postgres{URL: testenv.Postgres(t, migrations.FS), MaxOpenConns: 5},
		slog.New(slog.DiscardHandler))
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

func exec(t *testing.T, db *gorm.DB, sql string, args ...any) {
	t.Helper()
	if err := db.Exec(sql, args...).Error; err != nil {
		t.Fatal(err)
	}
}

// TestMessageHooks: Claim links a sender's own uploads inside the
// message's transaction, all or none; ForMessages lists them; dropping a
// message's attachments removes their files and rows.
func TestMessageHooks(t *testing.T) {
	db := openDB(t)
	dir := t.TempDir()
	m, err := attachments.New(attachments.Deps{DB: db, Rooms: everyone{}, URLKey: []byte("0123456789abcdef0123"),
		Config: attachments.Config{StorageDir: dir}})
	if err != nil {
		t.Fatal(err)
	}
	alice, bob := uuid.NewString(), uuid.NewString()
	for _, u := range []string{alice, bob} {
		exec(t, db, `INSERT INTO users (id, email, display_name, password_hash, created_at, updated_at)
			VALUES (?, ?, 'u', 'x', now(), now())`, u, u[:8]+"@example.com")
	}
	upload := func(user string) string {
		id := uuid.NewString()
		exec(t, db, `INSERT INTO attachments (id, room_id, user_id, name, content_type, size, created_at)
			VALUES (?, ?, ?, 'a.txt', 'text/plain; charset=utf-8', 1, now())`, id, globalRoom, user)
		if err := os.WriteFile(filepath.Join(dir, id), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		return id
	}
	message := func(tx *gorm.DB, seq int) string {
		id := uuid.NewString()
		exec(t, tx, `INSERT INTO messages (id, room_id, seq, user_id, content, created_at) VALUES (?, ?, ?, ?, '', now())`,
			id, globalRoom, seq, alice)
		return id
	}
	a1, a2, theirs := upload(alice), upload(alice), upload(bob)

	// All or none: one of bob's uploads in the list refuses the claim.
	err = db.Transaction(func(tx *gorm.DB) error {
		_, err := m.Claim(tx, alice, globalRoom, message(tx, 1), []string{a1, theirs})
		return err
	})
	if !errors.Is(err, attachments.ErrInvalid) {
		t.Fatalf("claim with another's upload: %v", err)
	}
	for _, ids := range [][]string{{a1, a1}, {"nope"}, make([]string, 11)} {
		if _, err := m.Claim(db, alice, globalRoom, uuid.NewString(), ids); !errors.Is(err, attachments.ErrInvalid) {
			t.Errorf("Claim(%v): %v", ids, err)
		}
	}

	var msg string
	var got []attachments.Attachment
	err = db.Transaction(func(tx *gorm.DB) error {
		msg = message(tx, 1)
		got, err = m.Claim(tx, alice, globalRoom, msg, []string{a2, a1})
		return err
	})
	if err != nil || len(got) != 2 || got[0].ID != a2 || got[1].ID != a1 || got[0].URL == "" {
		t.Fatalf("claim: %v %+v", err, got)
	}
	// Claimed once only.
	if _, err := m.Claim(db, alice, globalRoom, msg, []string{a1}); !errors.Is(err, attachments.ErrInvalid) {
		t.Errorf("second claim: %v", err)
	}
	byMsg, err := m.ForMessages(context.Background(), []string{msg, uuid.NewString()})
	if err != nil || len(byMsg) != 1 || len(byMsg[msg]) != 2 || byMsg[msg][0].ID != a2 {
		t.Fatalf("ForMessages: %v %+v", err, byMsg)
	}
	// The links work through the routes.
	rec := httptest.NewRecorder()
	e := newEngine(m)
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, byMsg[msg][0].URL, nil))
	if rec.Code != http.StatusOK || rec.Body.String() != "x" {
		t.Errorf("content of a claimed attachment: %d %q", rec.Code, rec.Body)
	}

	for range 2 {
		if err := m.DropMessageAttachments(context.Background(), msg); err != nil {
			t.Fatal(err)
		}
	}
	if byMsg, _ := m.ForMessages(context.Background(), []string{msg}); len(byMsg) != 0 {
		t.Errorf("after drop: %+v", byMsg)
	}
	for _, id := range []string{a1, a2} {
		if _, err := os.Stat(filepath.Join(dir, id)); !os.IsNotExist(err) {
			t.Errorf("file of %s: %v", id, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, theirs)); err != nil {
		t.Errorf("unrelated file: %v", err)
	}
}

// TestDropMessageAttachmentsLeavesFailuresToTheSweep: with the blob store
// down, dropping a deleted message's files reports no error (the delete
// has committed) and leaves the rows for the worker's sweep.
func TestDropMessageAttachmentsLeavesFailuresToTheSweep(t *testing.T) {
	db := openDB(t)
	m, err := attachments.New(attachments.Deps{DB: db, Rooms: everyone{}, URLKey: []byte("0123456789abcdef0123"),
		Config: attachments.Config{StorageBackend: "s3", S3Endpoint: "http://127.0.0.1:1", S3Bucket: "down"}})
	if err != nil {
		t.Fatal(err)
	}
	user, msg, att := uuid.NewString(), uuid.NewString(), uuid.NewString()
	exec(t, db, `INSERT INTO users (id, email, display_name, password_hash, created_at, updated_at)
		VALUES (?, ?, 'u', 'x', now(), now())`, user, user[:8]+"@example.com")
	exec(t, db, `INSERT INTO messages (id, room_id, seq, rev, user_id, content, created_at, deleted_at, has_attachments)
		VALUES (?, ?, 1, 1, ?, '', now(), now(), true)`, msg, globalRoom, user)
	exec(t, db, `INSERT INTO attachments (id, room_id, user_id, name, content_type, size, message_id, created_at)
		VALUES (?, ?, ?, 'a.txt', 'text/plain', 1, ?, now())`, att, globalRoom, user, msg)
	if err := m.DropMessageAttachments(context.Background(), msg); err != nil {
		t.Fatalf("DropMessageAttachments with the store down: %v", err)
	}
	var n int64
	if err := db.Raw(`SELECT count(*) FROM attachments WHERE id = ?`, att).Scan(&n).Error; err != nil || n != 1 {
		t.Fatalf("rows left for the sweep: %d, %v; want 1", n, err)
	}
}
