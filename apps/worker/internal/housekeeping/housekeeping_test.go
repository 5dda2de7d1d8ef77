package housekeeping

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"

	"github.com/chatforge/chat/migrations"
	"github.com/chatforge/chat/modules/messaging"
	"github.com/chatforge/chat/platform/config"
	"github.com/chatforge/chat/platform/database"
	"github.com/chatforge/chat/platform/testenv"
)

func setup(t *testing.T) (*Housekeeper, *gorm.DB, *redis.Client) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs PostgreSQL and Redis")
	}
	ctx := context.Background()
	db, err := database.Open(ctx, config.Postgres{URL: testenv.Postgres(t, migrations.FS), MaxOpenConns: 4},
		slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	opt, _ := redis.ParseURL(testenv.Redis(t))
	rdb := redis.NewClient(opt)
	t.Cleanup(func() {
		_ = rdb.Close()
		if s, err := db.DB(); err == nil {
			_ = s.Close()
		}
	})
	h := New(db, rdb, slog.New(slog.DiscardHandler), nil, Config{
		StreamRetention:      24 * time.Hour,
		EmailLedgerRetention: 30 * 24 * time.Hour, StreamPartitions: 2,
	})
	return h, db, rdb
}

func count(t *testing.T, db *gorm.DB, table string) int64 {
	t.Helper()
	var n int64
	if err := db.Table(table).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestJobsRemoveOnlyWhatIsDue(t *testing.T) {
	h, db, rdb := setup(t)
	ctx := context.Background()
	now := time.Now()
	old, recent := now.Add(-30*24*time.Hour), now.Add(-time.Minute)
	user := uuid.NewString()
	exec := func(sql string, args ...any) {
		t.Helper()
		if err := db.Exec(sql, args...).Error; err != nil {
			t.Fatal(err)
		}
	}
	exec(`INSERT INTO users (id, email, display_name, password_hash, created_at, updated_at) VALUES (?, 'hk@example.com', 'hk', 'x', now(), now())`, user)
	// sessions: expired long ago (goes), revoked long ago (goes), live (stays)
	for _, s := range []struct {
		expires time.Time
		revoked any
	}{{old, nil}, {now.Add(time.Hour), old}, {now.Add(time.Hour), nil}} {
		id := uuid.NewString()
		exec(`INSERT INTO sessions (id, user_id, created_at, last_used_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?)`,
			id, user, old, old, s.expires, s.revoked)
		exec(`INSERT INTO refresh_tokens (hash, session_id, created_at) VALUES (sha256(?::bytea), ?, now())`, id, id)
	}
	// e-mail tokens: used long ago (goes), expired long ago (goes), fresh (stays)
	for i, tk := range []struct {
		expires time.Time
		used    any
	}{{now.Add(time.Hour), old}, {old, nil}, {now.Add(time.Hour), nil}} {
		exec(`INSERT INTO email_tokens (hash, user_id, purpose, created_at, expires_at, used_at) VALUES (sha256(?::bytea), ?, 'verify', ?, ?, ?)`,
			strconv.Itoa(i), user, old, tk.expires, tk.used)
	}
	exec(`INSERT INTO sent_emails (key, kind, recipient, message_id, status, claimed_at, created_at) VALUES
		('a', 'verify', 'a@b.c', 'm', 'sent', ?, ?), ('b', 'verify', 'a@b.c', 'm', 'sent', ?, ?)`,
		now.Add(-60*24*time.Hour), now.Add(-60*24*time.Hour), recent, recent)
	// streams: one entry 3 days old, one now
	key := messaging.StreamKey(1)
	oldID := strconv.FormatInt(now.Add(-72*time.Hour).UnixMilli(), 10) + "-0"
	rdb.XAdd(ctx, &redis.XAddArgs{Stream: key, ID: oldID, Values: []string{"id", "old"}})
	rdb.XAdd(ctx, &redis.XAddArgs{Stream: key, Values: []string{"id", "new"}})

	for name, job := range h.jobs() {
		if _, err := job(ctx); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	for table, want := range map[string]int64{"sessions": 1, "refresh_tokens": 1, "email_tokens": 1, "sent_emails": 1} {
		if got := count(t, db, table); got != want {
			t.Errorf("%s: %d rows left, want %d", table, got, want)
		}
	}
	// XTRIM with "~" trims whole nodes only; a tiny stream keeps its node.
	// Exact trimming is Redis's business: check the call reached the stream.
	if n, _ := rdb.XLen(ctx, key).Result(); n > 2 || n < 1 {
		t.Errorf("stream length %d", n)
	}
}

// The session purge must not read the whole table each run: its plan goes
// through sessions_purge_idx. enable_seqscan=off makes the planner prefer
// any usable index on this small test table, so a sequential scan in the
// plan means no index fits the query.
func TestSessionPurgeUsesIndex(t *testing.T) {
	_, db, _ := setup(t)
	var plan []string
	err := db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`SET LOCAL enable_seqscan = off`).Error; err != nil {
			return err
		}
		return tx.Raw(`EXPLAIN `+purgeSessionsSQL, time.Now(), Batch).Scan(&plan).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	if text := strings.Join(plan, "\n"); !strings.Contains(text, "sessions_purge_idx") {
		t.Errorf("session purge plan does not use sessions_purge_idx:\n%s", text)
	}
}
