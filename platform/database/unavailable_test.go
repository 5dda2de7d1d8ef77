package database_test

import (
	"context"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/chatforge/chat/platform/config"
	"github.com/chatforge/chat/platform/database"
	"github.com/chatforge/chat/platform/outage"
	"github.com/chatforge/chat/platform/testenv"
)

// closedAddr returns an address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// terminated returns the error of a query on a pgx connection whose backend
// was terminated by the server (pg_terminate_backend: SQLSTATE 57P01, or
// the connection dropped).
func terminated(t *testing.T, dsn string) error {
	t.Helper()
	ctx := t.Context()
	victim, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer victim.Close(context.Background())
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	if _, err := admin.Exec(ctx, "SELECT pg_terminate_backend($1)", victim.PgConn().PID()); err != nil {
		t.Fatal(err)
	}
	_, err = victim.Exec(ctx, "SELECT 1")
	return err
}

func TestClassifyRealErrors(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	dsn := testenv.Postgres(t, nil)

	_, errRefused := pgx.Connect(ctx, "postgres://postgres@"+closedAddr(t)+"/postgres?connect_timeout=5")
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	_, errSyntax := conn.Exec(ctx, "SELEC 1")
	_, errDivide := conn.Exec(ctx, "SELECT 1/0")
	short, stop := context.WithTimeout(ctx, time.Millisecond)
	defer stop()
	_, errDeadline := conn.Exec(short, "SELECT pg_sleep(1)")
	cancelled, stopNow := context.WithCancel(ctx)
	stopNow()
	_, errCancelled := pgx.Connect(cancelled, dsn)

	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"connection refused (pgconn.ConnectError)", errRefused, true},
		{"backend terminated", terminated(t, dsn), true},
		{"deadline exceeded", errDeadline, true},
		{"shutting down (57P01)", &pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}, true},
		{"crash shutdown (57P02)", &pgconn.PgError{Code: "57P02"}, true},
		{"starting up (57P03)", &pgconn.PgError{Code: "57P03", Message: "the database system is starting up"}, true},
		{"connection failure (08006)", &pgconn.PgError{Code: "08006"}, true},
		{"too many connections (53300)", &pgconn.PgError{Code: "53300"}, true},
		{"syntax error", errSyntax, false},
		{"division by zero", errDivide, false},
		{"record not found", gorm.ErrRecordNotFound, false},
		{"cancelled", errCancelled, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err == nil {
				t.Fatal("no error to classify")
			}
			got := database.Classify(tt.err)
			if is := errors.Is(got, outage.ErrUnavailable); is != tt.want {
				t.Errorf("Classify(%v) unavailable = %v, want %v", tt.err, is, tt.want)
			}
			if !errors.Is(got, tt.err) || got.Error() != tt.err.Error() {
				t.Errorf("Classify(%v) = %v: lost its cause or text", tt.err, got)
			}
			if tt.want && outage.Dependency(got) != "postgres" {
				t.Errorf("Dependency = %q, want postgres", outage.Dependency(got))
			}
		})
	}
}

// TestOpenMarksStatementErrors checks the statements of a pool made by Open
// come back marked when the connection is lost or the pool has none to
// give, and unmarked when the statement itself is wrong.
func TestOpenMarksStatementErrors(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	dsn := testenv.Postgres(t, os.DirFS("testdata/migrations"))
	db, err := database.Open(ctx, config.Postgres{URL: dsn, MaxOpenConns: 1, MaxIdleConns: 1}, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	sqlDB, _ := db.DB()
	t.Cleanup(func() { _ = sqlDB.Close() })

	if err := db.WithContext(ctx).Exec("SELEC 1").Error; err == nil || errors.Is(err, outage.ErrUnavailable) {
		t.Errorf("syntax error = %v, want an unmarked error", err)
	}

	// The pool's one connection is busy: the next statement waits for it
	// until its deadline.
	tx := db.WithContext(ctx).Begin()
	if tx.Error != nil {
		t.Fatal(tx.Error)
	}
	short, stop := context.WithTimeout(ctx, 100*time.Millisecond)
	var n int
	err = db.WithContext(short).Raw("SELECT 1").Scan(&n).Error
	stop()
	if !errors.Is(err, outage.ErrUnavailable) {
		t.Errorf("statement with the pool exhausted = %v, want outage.ErrUnavailable", err)
	}
	// The server ends the connection under the transaction.
	var pid int
	if err := tx.Raw("SELECT pg_backend_pid()").Scan(&pid).Error; err != nil {
		t.Fatal(err)
	}
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	if _, err := admin.Exec(ctx, "SELECT pg_terminate_backend($1)", pid); err != nil {
		t.Fatal(err)
	}
	err = tx.Exec("SELECT 1").Error
	if !errors.Is(err, outage.ErrUnavailable) {
		t.Errorf("statement on a terminated connection = %v, want outage.ErrUnavailable", err)
	}
	_ = tx.Rollback()
	var one int
	if err := database.ScanRow(db.WithContext(ctx).Raw("SELECT 1"), &one); err != nil || one != 1 {
		t.Errorf("after the loss, SELECT 1 = %d, %v; want the pool to recover", one, err)
	}

	// Open itself, with no server.
	_, err = database.Open(ctx, config.Postgres{URL: "postgres://postgres@" + closedAddr(t) + "/postgres"}, nil)
	if !errors.Is(err, outage.ErrUnavailable) {
		t.Errorf("Open without a server = %v, want outage.ErrUnavailable", err)
	}
}
