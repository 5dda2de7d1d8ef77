package postgres

import (
	"errors"
	"log/slog"
	"regexp"
	"strconv"
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
		return tx.Raw(`EXPLAIN `+drainSQL, 0.0, 500, "relay").Scan(&plan).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(plan, "\n")
	if !strings.Contains(text, "Index Scan using outbox_pending_idx") || strings.Contains(text, "Bitmap") {
		t.Errorf("the drain does not walk outbox_pending_idx in order:\n%s", text)
	}
}

// The drain's cost must not depend on the backlog, whatever statistics the
// planner has: with 100,000 pending records (and 50,000 dead ones ahead of
// them), stale statistics from a near-empty table, then fresh ones, the
// plan has no join (a semi join's shape, and so its cost, followed the
// statistics: merge, hash or a nested loop rescanning the locking
// subquery) and no node of it handles more rows than the batch.
func TestDrainPlanIsBoundedByTheBatch(t *testing.T) {
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
	exec := func(sql string) {
		t.Helper()
		if err := db.Exec(sql).Error; err != nil {
			t.Fatal(err)
		}
	}
	insert := func(n int) {
		exec(`INSERT INTO outbox (event_id, room_id, type, payload)
			SELECT gen_random_uuid(), gen_random_uuid(), 'message.created', '{}' FROM generate_series(1, ` + strconv.Itoa(n) + `)`)
	}
	exec(`ALTER TABLE outbox SET (autovacuum_enabled = false)`)
	insert(20)
	exec(`ANALYZE outbox`)
	insert(150_000)
	exec(`DELETE FROM outbox WHERE id <= 50000`)

	const batch = 500
	for _, stats := range []string{"stale", "fresh"} {
		if stats == "fresh" {
			exec(`ANALYZE outbox`)
		}
		var plan []string
		err = db.Transaction(func(tx *gorm.DB) error {
			var locked bool
			if err := tx.Raw(drainLockSQL, relayLockKey).Scan(&locked).Error; err != nil {
				return err
			}
			if err := tx.Raw(`EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) `+drainSQL, 0.0, batch, "relay").Scan(&plan).Error; err != nil {
				return err
			}
			return errUndo // EXPLAIN ANALYZE deleted the batch
		})
		if err != errUndo {
			t.Fatal(err)
		}
		text := strings.Join(plan, "\n")
		for _, bad := range []string{"Join", "Nested Loop", "Seq Scan", "Bitmap", "Hash"} {
			if strings.Contains(text, bad) {
				t.Errorf("%s statistics: the drain plan has a %s:\n%s", stats, bad, text)
			}
		}
		if !strings.Contains(text, "Index Cond: (id = ANY") || !strings.Contains(text, "Index Scan using outbox_pending_idx") {
			t.Errorf("%s statistics: the drain does not probe the primary key with the ids locked in outbox_pending_idx:\n%s", stats, text)
		}
		for _, m := range actualRows.FindAllStringSubmatch(text, -1) {
			rows, _ := strconv.Atoi(m[1])
			loops, _ := strconv.Atoi(m[2])
			if rows*loops > batch {
				t.Errorf("%s statistics: a plan node handles %d rows x %d loops, more than the batch of %d:\n%s", stats, rows, loops, batch, text)
			}
		}
	}
}

var (
	actualRows = regexp.MustCompile(`actual rows=(\d+) loops=(\d+)`)
	errUndo    = errors.New("undo")
)
