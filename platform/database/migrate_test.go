package database_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/chatforge/chat/platform/database"
	"github.com/chatforge/chat/platform/testenv"
)

// logRecord is one JSON log line, as far as these tests care.
type logRecord struct {
	Level     string `json:"level"`
	Msg       string `json:"msg"`
	Version   int64  `json:"version"`
	State     string `json:"state"`
	Direction string `json:"direction"`
	SQL       string `json:"sql"`
	Error     string `json:"error"`
}

func records(t *testing.T, buf *bytes.Buffer) []logRecord {
	t.Helper()
	var out []logRecord
	for line := range strings.SplitSeq(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var r logRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, r)
	}
	buf.Reset()
	return out
}

func tableExists(t *testing.T, dsn, table string) bool {
	t.Helper()
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var ok bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", table).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dsn := testenv.Postgres(t, nil) // empty: this test drives the migrations
	fsys := os.DirFS("testdata/migrations")
	var buf bytes.Buffer
	log := newJSONLogger(&buf)

	states := func() map[int64]string {
		t.Helper()
		if err := database.Migrate(ctx, dsn, fsys, "status", log); err != nil {
			t.Fatalf("status: %v", err)
		}
		m := map[int64]string{}
		for _, r := range records(t, &buf) {
			m[r.Version] = r.State
		}
		return m
	}

	if got := states(); got[1] != "pending" || got[2] != "pending" || len(got) != 2 {
		t.Fatalf("initial status = %v", got)
	}

	if err := database.Migrate(ctx, dsn, fsys, "up", log); err != nil {
		t.Fatalf("up: %v", err)
	}
	var applied []int64
	for _, r := range records(t, &buf) {
		if r.Msg == "migration applied" {
			applied = append(applied, r.Version)
		}
	}
	if len(applied) != 2 || applied[0] != 1 || applied[1] != 2 {
		t.Errorf("logged applied versions %v, want [1 2]", applied)
	}
	if !tableExists(t, dsn, "widgets") || !tableExists(t, dsn, "gadgets") {
		t.Fatal("tables missing after up")
	}
	if got := states(); got[1] != "applied" || got[2] != "applied" {
		t.Fatalf("status after up = %v", got)
	}
	// Up is idempotent.
	if err := database.Migrate(ctx, dsn, fsys, "up", log); err != nil {
		t.Fatalf("second up: %v", err)
	}
	buf.Reset()

	// Down rolls back one version at a time.
	if err := database.Migrate(ctx, dsn, fsys, "down", log); err != nil {
		t.Fatalf("down: %v", err)
	}
	if tableExists(t, dsn, "gadgets") || !tableExists(t, dsn, "widgets") {
		t.Fatal("down did not roll back exactly 00002")
	}
	if got := states(); got[1] != "applied" || got[2] != "pending" {
		t.Fatalf("status after down = %v", got)
	}
	for range 2 { // the second has nothing left to do, which is fine
		if err := database.Migrate(ctx, dsn, fsys, "down", log); err != nil {
			t.Fatalf("down: %v", err)
		}
	}
	if tableExists(t, dsn, "widgets") {
		t.Fatal("widgets survived full rollback")
	}

	if err := database.Migrate(ctx, dsn, fsys, "sideways", log); err == nil {
		t.Error("unknown command accepted")
	}
}

func TestMigrateFailureIsReported(t *testing.T) {
	t.Parallel()
	dsn := testenv.Postgres(t, nil)
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/00001_ok.sql", []byte("-- +goose Up\nCREATE TABLE ok (id int);\n-- +goose Down\nDROP TABLE ok;\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/00002_bad.sql", []byte("-- +goose Up\nCREATE TABLE nope (id nosuchtype);\n-- +goose Down\nSELECT 1;\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	err := database.Migrate(t.Context(), dsn, os.DirFS(dir), "up", newJSONLogger(&buf))
	if err == nil {
		t.Fatal("broken migration reported success")
	}
	var okLogged, failLogged bool
	for _, r := range records(t, &buf) {
		okLogged = okLogged || (r.Msg == "migration applied" && r.Version == 1)
		failLogged = failLogged || (r.Msg == "migration failed" && r.Version == 2 && r.Error != "")
	}
	if !okLogged || !failLogged {
		t.Errorf("logs: applied 1 = %v, failed 2 = %v", okLogged, failLogged)
	}
	if !tableExists(t, dsn, "ok") {
		t.Error("the good migration before the failure was not kept")
	}
}
