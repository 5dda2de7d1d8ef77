package testenv_test

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/chatforge/chat/platform/testenv"
)

func TestPostgres(t *testing.T) {
	t.Parallel()
	var dsn string
	t.Run("use", func(t *testing.T) {
		dsn = testenv.Postgres(t, os.DirFS("testdata/migrations"))
		conn, err := pgx.Connect(t.Context(), dsn)
		if err != nil {
			t.Fatalf("connect to the test database: %v", err)
		}
		defer conn.Close(context.Background())
		// Migrated: the table of the testdata migration is there.
		if _, err := conn.Exec(t.Context(), "INSERT INTO things (id) VALUES (1)"); err != nil {
			t.Fatalf("migrations not applied: %v", err)
		}
		// Each call gets its own database.
		if other := testenv.Postgres(t, nil); other == dsn {
			t.Error("two calls returned the same database")
		}
	})

	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	if !strings.HasPrefix(name, "t_") {
		t.Errorf("database name %q lacks the t_ prefix", name)
	}
	// Dropped by the subtest's cleanup.
	admin, err := pgx.Connect(t.Context(), envOr("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	var exists bool
	if err := admin.QueryRow(t.Context(), "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Errorf("database %s still exists after cleanup", name)
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
