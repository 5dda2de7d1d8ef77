package attachments_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/chatforge/chat/modules/attachments"
	"github.com/chatforge/chat/platform/config"
)

// TestConfigDefaults: with nothing set (as `go tool task up` starts the
// api), attachments go to the local disk, under a 1 GiB quota per user, and
// the module starts with nothing else installed.
func TestConfigDefaults(t *testing.T) {
	cfg, err := config.Parse[attachments.Config](nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.StorageBackend != "local" || cfg.StorageDir != ".dev/storage" || cfg.UserQuotaBytes != 1<<30 || cfg.MaxBytes != 25<<20 {
		t.Fatalf("defaults %+v", cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	db := openDB(t)
	cfg.StorageDir = filepath.Join(t.TempDir(), "storage")
	if _, err := attachments.New(attachments.Deps{DB: db, Rooms: everyone{}, URLKey: []byte("0123456789abcdef"), Config: cfg}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(cfg.StorageDir); err != nil || !fi.IsDir() {
		t.Errorf("storage directory not created: %v", err)
	}
	if (attachments.Config{UserQuotaBytes: -1}).Validate() == nil {
		t.Error("a negative quota passed validation")
	}
}
