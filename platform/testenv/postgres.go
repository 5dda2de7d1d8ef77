package testenv

import (
	"context"
	"io/fs"
	"log/slog"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chatforge/chat/platform/database"
)

// pgTimeout bounds each set-up or tear-down step.
const pgTimeout = time.Minute

// Postgres creates a fresh database named "t_<random hex>" on the server of
// TEST_DATABASE_URL, applies migrations to it (goose SQL files at the root
// of the FS, normally migrations.FS; nil applies none) and returns its DSN.
// The database is dropped, with any connections left open, when the test
// ends. Every call gets its own database, so tests may run in parallel.
func Postgres(t testing.TB, migrations fs.FS) (dsn string) {
	t.Helper()
	base := envOr("TEST_DATABASE_URL", defaultDatabaseURL)
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("testenv: TEST_DATABASE_URL must be a postgres:// URL")
	}
	name := "t_" + randomHex(8)

	ctx, cancel := context.WithTimeout(context.Background(), pgTimeout)
	defer cancel()
	if err := adminExec(ctx, base, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("testenv: create database (is PostgreSQL running at TEST_DATABASE_URL?): %v", err)
	}
	t.Cleanup(func() {
		// t's own context is already cancelled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), pgTimeout)
		defer cancel()
		if err := adminExec(ctx, base, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("testenv: drop database %s: %v", name, err)
		}
	})

	u.Path = "/" + name
	dsn = u.String()
	if migrations != nil {
		// Only problems are worth a line in test output.
		log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
		if err := database.Migrate(ctx, dsn, migrations, "up", log); err != nil {
			t.Fatalf("testenv: migrate %s: %v", name, err)
		}
	}
	return dsn
}

// adminExec runs one statement on its own connection to the maintenance
// database (CREATE/DROP DATABASE cannot run inside a transaction or on the
// database being dropped).
func adminExec(ctx context.Context, dsn, sql string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}
