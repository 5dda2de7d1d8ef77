package housekeeping

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chatforge/chat/modules/attachments"
)

// TestAttachmentsJobRemovesOldOrphans: the job deletes uploads no message
// carries once past the grace period, with their files; younger ones stay.
func TestAttachmentsJobRemovesOldOrphans(t *testing.T) {
	h, db, _ := setup(t)
	dir := t.TempDir()
	files, err := attachments.New(attachments.Deps{DB: db, Config: attachments.Config{StorageDir: dir, OrphanGrace: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	h.cfg.Attachments = files
	user := uuid.NewString()
	if err := db.Exec(`INSERT INTO users (id, email, display_name, password_hash, created_at, updated_at)
		VALUES (?, ?, 'u', 'x', now(), now())`, user, user[:8]+"@example.com").Error; err != nil {
		t.Fatal(err)
	}
	old, young := uuid.NewString(), uuid.NewString()
	for id, age := range map[string]time.Duration{old: 2 * time.Hour, young: time.Minute} {
		if err := db.Exec(`INSERT INTO attachments (id, room_id, user_id, name, content_type, size, created_at)
			VALUES (?, '00000000-0000-0000-0000-000000000001', ?, 'a.txt', 'text/plain', 1, ?)`, id, user, time.Now().Add(-age)).Error; err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, id), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	n, err := h.jobs()[TaskAttachments](context.Background())
	if err != nil || n != 1 {
		t.Fatalf("job = %d, %v; want 1", n, err)
	}
	if _, err := os.Stat(filepath.Join(dir, old)); !os.IsNotExist(err) {
		t.Errorf("old orphan's file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, young)); err != nil {
		t.Errorf("young upload's file: %v", err)
	}
	if c := count(t, db, "attachments"); c != 1 {
		t.Errorf("%d attachment rows left, want 1", c)
	}
}
