package postgres

import (
	"log/slog"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/chatforge/chat/migrations"
	"github.com/chatforge/chat/platform/config"
	"github.com/chatforge/chat/platform/database"
	"github.com/chatforge/chat/platform/testenv"
)

// With many dead outbox rows (each drain leaves its rows dead until
// vacuum), the drain must still read the pending records through the
// index in id order: a bitmap scan visits every dead row's heap page on
// every drain. The dead rows here are what a minute of load leaves.
func TestDrainScansIndexPastDeadRows(t *testing.T) {
	db, err := database.Open(t.Context(), config.Postgres{URL: testenv.Postgres(t, migrations.FS), MaxOpenConns: 2, MaxIdleConns: 2},
		slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			_ = sqlDB.Close()
		}
	})
	exec := func(tx *gorm.DB, sql string, args ...any) {
		t.Helper()
		if err := tx.Exec(sql, args...).Error; err != nil {
			t.Fatal(err)
		}
	}
	exec(db, `ALTER TABLE outbox SET (autovacuum_enabled = false)`)
	exec(db, `INSERT INTO outbox (event_id, room_id, type, payload)
		SELECT gen_random_uuid(), gen_random_uuid(), 'message.created', '{}' FROM generate_series(1, 50000)`)
	exec(db, `DELETE FROM outbox WHERE id <= (SELECT max(id) - 200 FROM outbox)`)
	exec(db, `ANALYZE outbox`)

	var plan []string
	err = db.Transaction(func(tx *gorm.DB) error {
		var locked bool
		if err := tx.Raw(drainLockSQL, relayLockKey).Scan(&locked).Error; err != nil {
			return err
		}
		return tx.Raw(`EXPLAIN `+drainSQL, 500, "relay").Scan(&plan).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(plan, "\n")
	if !strings.Contains(text, "Index Scan using outbox_pending_idx") || strings.Contains(text, "Bitmap") {
		t.Errorf("the drain does not walk outbox_pending_idx in order:\n%s", text)
	}
}
