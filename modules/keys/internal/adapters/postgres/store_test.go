package postgres_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chatforge/chat/migrations"
	"github.com/chatforge/chat/modules/keys/internal/adapters/postgres"
	"github.com/chatforge/chat/modules/keys/keystest"
	"github.com/chatforge/chat/platform/config"
	"github.com/chatforge/chat/platform/database"
	"github.com/chatforge/chat/platform/testenv"
)

// TestStoreContract runs the store contract on PostgreSQL: a session ends
// by revocation (the trigger of migration 00014 drops its keys).
func TestStoreContract(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL")
	}
	db, err := database.Open(context.Background(), config.Postgres{URL: testenv.Postgres(t, migrations.FS), MaxOpenConns: 40, MaxIdleConns: 5},
		slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s, err := db.DB(); err == nil {
			_ = s.Close()
		}
	})
	exec := func(t *testing.T, sql string, args ...any) {
		t.Helper()
		if err := db.Exec(sql, args...).Error; err != nil {
			t.Fatal(err)
		}
	}
	keystest.RunStoreContract(t, func(t *testing.T) keystest.Env {
		return keystest.Env{
			Store: postgres.New(db),
			NewUser: func(t *testing.T) string {
				id := uuid.NewString()
				exec(t, `INSERT INTO users (id, email, display_name, password_hash, created_at, updated_at)
					VALUES (?, ?, 'U', 'x', now(), now())`, id, id[:8]+"@example.com")
				return id
			},
			NewSession: func(t *testing.T, user string) string {
				id := uuid.NewString()
				exec(t, `INSERT INTO sessions (id, user_id, created_at, last_used_at, expires_at)
					VALUES (?, ?, now(), now(), ?)`, id, user, time.Now().Add(time.Hour))
				return id
			},
			EndSession: func(t *testing.T, id string) {
				exec(t, `UPDATE sessions SET revoked_at = now() WHERE id = ?`, id)
			},
		}
	})
}
