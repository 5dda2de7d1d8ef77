package database_test

import (
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"testing"

	"gorm.io/gorm"

	"github.com/chatforge/chat/platform/database"
)

// A statement that fails to prepare is an error from ScanRow; gorm's
// Row().Scan panics on it under gorm's PrepareStmt (an empty sql.Row).
func TestScanRow(t *testing.T) {
	db := open(t, slog.New(slog.NewTextHandler(io.Discard, nil)))
	var n int
	if err := database.ScanRow(db.Raw(`SELECT 41 + ?`, 1), &n); err != nil || n != 42 {
		t.Fatalf("ScanRow = %d, %v; want 42", n, err)
	}
	if err := database.ScanRow(db.Raw(`SELECT 1 WHERE false`), &n); !errors.Is(err, sql.ErrNoRows) {
		t.Fatalf("no row: %v, want sql.ErrNoRows", err)
	}
	if err := database.ScanRow(db.Raw(`SELEC 1`), &n); err == nil {
		t.Fatal("a statement that cannot be prepared scanned without error")
	}
	err := db.Transaction(func(tx *gorm.DB) error { return database.ScanRow(tx.Raw(`SELECT nope FROM nowhere`), &n) })
	if err == nil {
		t.Fatal("a failed prepare in a transaction scanned without error")
	}
}
