package database_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"

	"github.com/chatforge/chat/platform/config"
	"github.com/chatforge/chat/platform/database"
	"github.com/chatforge/chat/platform/testenv"
)

func newJSONLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type widget struct {
	ID   int64
	Name string
}

func open(t *testing.T, log *slog.Logger) *gorm.DB {
	t.Helper()
	dsn := testenv.Postgres(t, os.DirFS("testdata/migrations"))
	cfg := config.Postgres{URL: dsn, MaxOpenConns: 4, MaxIdleConns: 2, ConnMaxLifetime: time.Minute, ConnMaxIdleTime: time.Minute}
	db, err := database.Open(t.Context(), cfg, log)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			_ = sqlDB.Close()
		}
	})
	return db
}

func TestOpen(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	var buf bytes.Buffer
	db := open(t, newJSONLogger(&buf))

	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	if got := sqlDB.Stats().MaxOpenConnections; got != 4 {
		t.Errorf("MaxOpenConnections = %d, want 4", got)
	}

	if err := db.WithContext(ctx).Create(&widget{ID: 1, Name: "secret-name"}).Error; err != nil {
		t.Fatalf("insert: %v", err)
	}
	// Driver errors come back as gorm's sentinels (TranslateError)...
	err = db.WithContext(ctx).Create(&widget{ID: 2, Name: "secret-name"}).Error
	if !errors.Is(err, gorm.ErrDuplicatedKey) {
		t.Errorf("duplicate insert: err = %v, want gorm.ErrDuplicatedKey", err)
	}
	var w widget
	err = db.WithContext(ctx).First(&w, 42).Error
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		t.Errorf("First: err = %v, want ErrRecordNotFound", err)
	}
	// ... and such expected outcomes are not logged.
	if recs := records(t, &buf); len(recs) != 0 {
		t.Errorf("expected outcomes were logged: %+v", recs)
	}

	// A real failure is logged with its SQL, without the arguments.
	err = db.WithContext(ctx).Exec("SELECT * FROM no_such_table WHERE name = ?", "hunter2").Error
	if err == nil {
		t.Fatal("query on a missing table succeeded")
	}
	recs := records(t, &buf)
	if len(recs) != 1 || recs[0].Level != "ERROR" || !strings.Contains(recs[0].SQL, "no_such_table") {
		t.Fatalf("failure log = %+v", recs)
	}
	if strings.Contains(recs[0].SQL, "hunter2") {
		t.Errorf("query arguments leaked into the log: %s", recs[0].SQL)
	}

	// gorm's Scan inlines the arguments in what it records: still none in the log.
	var n int
	err = db.WithContext(ctx).Raw("SELECT count(*) FROM no_such_table WHERE name = ? AND note = ?", "hunter2", "it''s secret").Scan(&n).Error
	if err == nil {
		t.Fatal("scan of a missing table succeeded")
	}
	recs = records(t, &buf)
	if len(recs) != 1 || !strings.Contains(recs[0].SQL, "no_such_table") || strings.Contains(recs[0].SQL, "hunter2") || strings.Contains(recs[0].SQL, "secret") {
		t.Errorf("scan failure log = %+v", recs)
	}

	// Slow queries (> 200ms) are logged as warnings.
	if err := db.WithContext(ctx).Exec("SELECT pg_sleep(0.25)").Error; err != nil {
		t.Fatal(err)
	}
	if recs := records(t, &buf); len(recs) != 1 || recs[0].Level != "WARN" || recs[0].Msg != "slow query" {
		t.Errorf("slow query log = %+v", recs)
	}
}

func TestOpenUnreachable(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	cfg := config.Postgres{URL: "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=2", MaxOpenConns: 1}
	if _, err := database.Open(ctx, cfg, nil); err == nil {
		t.Fatal("Open succeeded without a server")
	}
}

func TestRegisterPoolMetrics(t *testing.T) {
	t.Parallel()
	db := open(t, nil)
	reg := prometheus.NewRegistry()
	database.RegisterPoolMetrics(reg, db)

	if err := db.WithContext(t.Context()).Exec("SELECT 1").Error; err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, mf := range mfs {
		found[mf.GetName()] = true
	}
	for _, name := range []string{
		"go_sql_open_connections", "go_sql_in_use_connections", "go_sql_idle_connections",
		"go_sql_wait_count_total", "go_sql_wait_duration_seconds_total", "go_sql_max_open_connections",
	} {
		if !found[name] {
			t.Errorf("metric %s not exported", name)
		}
	}
}

// DB_STATEMENT_TIMEOUT reaches every connection: the server cancels a
// longer statement. Zero sets none.
func TestStatementTimeout(t *testing.T) {
	t.Parallel()
	dsn := testenv.Postgres(t, nil)
	openWith := func(d time.Duration) *gorm.DB {
		t.Helper()
		db, err := database.Open(t.Context(), config.Postgres{URL: dsn, MaxOpenConns: 2, StatementTimeout: d}, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if sqlDB, err := db.DB(); err == nil {
				_ = sqlDB.Close()
			}
		})
		return db
	}
	show := func(db *gorm.DB) string {
		t.Helper()
		var v string
		if err := db.Raw("SHOW statement_timeout").Scan(&v).Error; err != nil {
			t.Fatal(err)
		}
		return v
	}

	db := openWith(150 * time.Millisecond)
	if got := show(db); got != "150ms" {
		t.Errorf("statement_timeout = %q, want 150ms", got)
	}
	err := db.Exec("SELECT pg_sleep(2)").Error
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "57014" {
		t.Errorf("a statement past the timeout: err = %v, want query_canceled (57014)", err)
	}
	if got := show(openWith(0)); got != "0" {
		t.Errorf("statement_timeout with DB_STATEMENT_TIMEOUT=0: %q, want the server default 0", got)
	}
}
