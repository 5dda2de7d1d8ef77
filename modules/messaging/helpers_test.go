package messaging_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os/exec"
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

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// openDB opens a fresh migrated database.
func openDB(t testing.TB) *gorm.DB {
	t.Helper()
	db, err := database.Open(t.Context(), config.Postgres{URL: testenv.Postgres(t, migrations.FS), MaxOpenConns: 16, MaxIdleConns: 16}, quiet)
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

func redisClient(t testing.TB, rawURL string) *redis.Client {
	t.Helper()
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	// Fail fast while the test's Redis is down.
	opts.DialTimeout, opts.MaxRetries = 200*time.Millisecond, -1
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

func newModule(t testing.TB, db *gorm.DB, rdb *redis.Client) *messaging.Module {
	t.Helper()
	m, err := messaging.New(messaging.Deps{DB: db, Redis: rdb, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func addUser(t testing.TB, db *gorm.DB) string {
	t.Helper()
	id := uuid.NewString()
	now := time.Now()
	if err := db.Exec(`INSERT INTO users (id, email, display_name, password_hash, created_at, updated_at) VALUES (?, ?, 'U', 'x', ?, ?)`,
		id, id+"@example.test", now, now).Error; err != nil {
		t.Fatal(err)
	}
	return id
}

// addRoom creates a private room with members straight in SQL: the
// module's room use cases are reached over HTTP, tested elsewhere.
func addRoom(t testing.TB, db *gorm.DB, members ...string) string {
	t.Helper()
	id := uuid.NewString()
	if err := db.Exec(`INSERT INTO rooms (id, kind, name, owner_id, member_count) VALUES (?, 'private', 'r', ?, ?)`,
		id, members[0], len(members)).Error; err != nil {
		t.Fatal(err)
	}
	for _, u := range members {
		if err := db.Exec(`INSERT INTO memberships (room_id, user_id, role, joined_at) VALUES (?, ?, 'member', now())`, id, u).Error; err != nil {
			t.Fatal(err)
		}
	}
	return id
}

// redisServer is a private, non-persistent redis-server the test can kill.
type redisServer struct {
	t    testing.TB
	bin  string
	port int
	cmd  *exec.Cmd
}

func startRedis(t testing.TB) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not installed")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	s := &redisServer{t: t, bin: bin, port: port}
	s.start()
	t.Cleanup(s.kill)
	return s
}

func (s *redisServer) url() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", s.port) }

func (s *redisServer) start() {
	s.t.Helper()
	s.cmd = exec.Command(s.bin, "--port", fmt.Sprint(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no")
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", s.port)); err == nil {
			_ = c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatal("redis-server did not start")
}

// kill stops the server at once (SIGKILL): no graceful anything.
func (s *redisServer) kill() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
		s.cmd = nil
	}
}
