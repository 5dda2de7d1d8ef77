package harness

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/migrations"
	"github.com/chatforge/chat/platform/database"
)

// This file starts PostgreSQL and Redis servers private to a test, on
// free ports with their own data directories, for tests that stop, kill
// and restart them (the shared servers of TEST_DATABASE_URL and
// TEST_REDIS_URL must never be touched). Both persist what they
// acknowledge: PostgreSQL with fsync on, Redis with appendonly and
// appendfsync always.

// PostgresBinDir holds initdb and pg_ctl: PG_BIN_DIR, else the newest
// /usr/lib/postgresql/<major>/bin (Debian's layout), else that of 15.
func PostgresBinDir() string {
	if d := os.Getenv("PG_BIN_DIR"); d != "" {
		return d
	}
	best, bestMajor := "/usr/lib/postgresql/15/bin", 0
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	for _, d := range dirs {
		major, err := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(d))))
		if err == nil && major > bestMajor {
			best, bestMajor = filepath.Dir(d), major
		}
	}
	return best
}

// PrivatePostgres is a PostgreSQL server of one test.
type PrivatePostgres struct {
	dir, bin, port string
	// URL is the migrated database "chat" of the server.
	URL string
}

// StartPrivatePostgres initialises a cluster in a temporary directory,
// starts it on a free port, creates the database "chat" with every
// migration applied, and stops the server (immediate) and removes the
// directory in t.Cleanup. As root it runs the server as the user postgres
// (initdb and postgres refuse root). It skips the test when initdb is
// missing, except under CI (CI=true), where it fails.
func StartPrivatePostgres(t testing.TB) *PrivatePostgres {
	t.Helper()
	bin := PostgresBinDir()
	if _, err := os.Stat(filepath.Join(bin, "initdb")); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("harness: no initdb in %s (set PG_BIN_DIR): %v", bin, err)
		}
		t.Skipf("harness: no initdb in %s (set PG_BIN_DIR): %v", bin, err)
	}
	// Not t.TempDir: its parents are private to root, and the server may
	// run as postgres.
	dir, err := os.MkdirTemp("", "chatforge-pg-")
	if err != nil {
		t.Fatalf("harness: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := chownToDBUser(dir); err != nil {
		t.Fatalf("harness: %v", err)
	}
	addr := FreeAddr(t)
	p := &PrivatePostgres{dir: dir, bin: bin, port: addr[strings.LastIndex(addr, ":")+1:]}
	if out, err := p.run("initdb", "-D", p.data(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"); err != nil {
		t.Fatalf("harness: initdb: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		_, _ = p.run("pg_ctl", "-D", p.data(), "-m", "immediate", "-w", "stop")
		if t.Failed() || os.Getenv("E2E_LOGS") != "" {
			log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
			t.Logf("--- private postgres log ---\n%s", tail(log, maxLogBytes))
		}
	})
	p.Start(t)
	base := fmt.Sprintf("postgres://postgres@127.0.0.1:%s/", p.port)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, base+"postgres?sslmode=disable")
	if err != nil {
		t.Fatalf("harness: connect to private postgres: %v", err)
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE chat")
	conn.Close(context.Background())
	if err != nil {
		t.Fatalf("harness: create database: %v", err)
	}
	p.URL = base + "chat?sslmode=disable"
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	if err := database.Migrate(ctx, p.URL, migrations.FS, "up", log); err != nil {
		t.Fatalf("harness: migrate private postgres: %v", err)
	}
	return p
}

func (p *PrivatePostgres) data() string { return filepath.Join(p.dir, "data") }

// Start starts the server and waits until it accepts connections.
func (p *PrivatePostgres) Start(t testing.TB) {
	t.Helper()
	opts := fmt.Sprintf("-p %s -c listen_addresses=127.0.0.1 -k %s -c fsync=on -c max_connections=200", p.port, p.dir)
	if out, err := p.run("pg_ctl", "-D", p.data(), "-l", filepath.Join(p.dir, "server.log"), "-o", opts, "-w", "-t", "60", "start"); err != nil {
		t.Fatalf("harness: pg_ctl start: %v\n%s", err, out)
	}
}

// Stop stops the server the way a crash would (pg_ctl -m immediate: no
// checkpoint, recovery from the WAL at the next start).
func (p *PrivatePostgres) Stop(t testing.TB) {
	t.Helper()
	if out, err := p.run("pg_ctl", "-D", p.data(), "-m", "immediate", "-w", "stop"); err != nil {
		t.Fatalf("harness: pg_ctl stop: %v\n%s", err, out)
	}
}

// run runs a PostgreSQL program of the bin dir, as postgres when root.
func (p *PrivatePostgres) run(prog string, args ...string) ([]byte, error) {
	path := filepath.Join(p.bin, prog)
	var cmd *exec.Cmd
	if os.Geteuid() == 0 {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	return buf.Bytes(), err
}

func chownToDBUser(dir string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("running as root needs a postgres user: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return os.Chown(dir, uid, gid)
}

// PrivateRedis is a Redis server of one test, run as a child process.
type PrivateRedis struct {
	dir, addr string
	cmd       *exec.Cmd
	done      chan struct{}
	logs      *logBuffer
	// URL is the server's database 0.
	URL string
}

// StartPrivateRedis starts redis-server on a free port with its own
// directory and append-only file (fsync on every write), and kills it in
// t.Cleanup. It skips the test when redis-server is missing.
func StartPrivateRedis(t testing.TB) *PrivateRedis {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skipf("harness: %v", err)
	}
	r := &PrivateRedis{dir: t.TempDir(), addr: FreeAddr(t), logs: &logBuffer{}}
	r.URL = "redis://" + r.addr + "/0"
	t.Cleanup(func() {
		r.Kill()
		if t.Failed() || os.Getenv("E2E_LOGS") != "" {
			t.Logf("--- private redis output ---\n%s", r.logs.Tail(maxLogBytes))
		}
	})
	r.Start(t)
	return r
}

// Start starts the server on its address and waits until it answers PING.
func (r *PrivateRedis) Start(t testing.TB) {
	t.Helper()
	port := r.addr[strings.LastIndex(r.addr, ":")+1:]
	cmd := exec.Command("redis-server", "--port", port, "--bind", "127.0.0.1", "--dir", r.dir,
		"--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no")
	cmd.Stdout, cmd.Stderr = r.logs, r.logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("harness: start redis-server: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	r.cmd, r.done = cmd, done
	opts, _ := redis.ParseURL(r.URL)
	c := redis.NewClient(opts)
	defer c.Close()
	deadline := time.Now().Add(30 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("harness: private redis not up within 30s:\n%s", r.logs.Tail(4096))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Kill stops the server with SIGKILL (what it acknowledged is in its
// append-only file) and waits for it to exit.
func (r *PrivateRedis) Kill() {
	if r.cmd == nil {
		return
	}
	select {
	case <-r.done:
		return
	default:
	}
	_ = r.cmd.Process.Kill()
	<-r.done
}

func tail(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[len(b)-n:])
}
