package harness

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chatforge/chat/migrations"
	"github.com/chatforge/chat/platform/database"
)

// PostgresServer is a private PostgreSQL server of one test (initdb in a
// temporary directory, listening on a free port of 127.0.0.1, trust
// authentication), for tests that stop, kill or restart PostgreSQL. The
// shared server of TEST_DATABASE_URL must never be stopped.
type PostgresServer struct {
	// URL is the DSN of its migrated database "chat".
	URL string

	bin  string // directory of initdb, pg_ctl, postgres
	data string // data directory
	port int
	cred *syscall.Credential // run as the postgres user when we are root
}

// StartPostgres creates, starts and migrates a private server; it is
// stopped (immediate) and deleted in t.Cleanup. The binaries come from
// PG_BIN_DIR or the newest /usr/lib/postgresql/*/bin; without them the test
// is skipped, except under CI (CI=true), where it fails.
func StartPostgres(t testing.TB) *PostgresServer {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: starts PostgreSQL; skipped with -short")
	}
	s := &PostgresServer{bin: pgBinDir()}
	if s.bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("harness: no PostgreSQL binaries (set PG_BIN_DIR)")
		}
		t.Skip("harness: no PostgreSQL binaries (set PG_BIN_DIR)")
	}
	// initdb and postgres refuse to run as root: run them as postgres, in a
	// directory of theirs outside t.TempDir (whose parents are 0700).
	dir, err := os.MkdirTemp("", "chatforge-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	s.data = filepath.Join(dir, "data")
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("harness: running as root and no postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(s.data, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(s.data, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	_, port, _ := net.SplitHostPort(FreeAddr(t))
	s.port, _ = strconv.Atoi(port)
	s.run(t, "initdb", "-D", s.data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8")
	conf := fmt.Sprintf("\nlisten_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = ''\nfsync = off\nmax_connections = 50\n", s.port)
	f, err := os.OpenFile(filepath.Join(s.data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteString(conf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Already stopped by the test, perhaps: then pg_ctl has nothing to do.
		_ = s.exec("pg_ctl", "-D", s.data, "stop", "-w", "-m", "immediate")
	})
	s.Start(t)

	base := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/", s.port)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, base+"postgres")
	if err != nil {
		t.Fatalf("harness: private PostgreSQL: %v", err)
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE chat")
	_ = conn.Close(ctx)
	if err != nil {
		t.Fatalf("harness: private PostgreSQL: create database: %v", err)
	}
	s.URL = base + "chat"
	if err := database.Migrate(ctx, s.URL, migrations.FS, "up", slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("harness: private PostgreSQL: migrate: %v", err)
	}
	return s
}

// Start starts the server (again) and waits until it accepts connections.
func (s *PostgresServer) Start(t testing.TB) {
	t.Helper()
	s.pgctl(t, "start", "-w", "-t", "60", "-l", filepath.Join(s.data, "server.log"))
}

// Stop stops the server with pg_ctl's mode: "immediate" is a crash (no
// shutdown checkpoint, every connection cut), "fast" a clean shutdown.
func (s *PostgresServer) Stop(t testing.TB, mode string) {
	t.Helper()
	s.pgctl(t, "stop", "-w", "-m", mode)
}

func (s *PostgresServer) pgctl(t testing.TB, args ...string) {
	t.Helper()
	s.run(t, "pg_ctl", append([]string{"-D", s.data}, args...)...)
}

// run runs one of the server's programs and fails t if it fails.
func (s *PostgresServer) run(t testing.TB, prog string, args ...string) {
	t.Helper()
	if err := s.exec(prog, args...); err != nil {
		logs, _ := os.ReadFile(filepath.Join(s.data, "server.log"))
		t.Fatalf("harness: %v\n%s", err, logs)
	}
}

// exec runs one of the server's programs as the server's user.
func (s *PostgresServer) exec(prog string, args ...string) error {
	cmd := exec.Command(filepath.Join(s.bin, prog), args...)
	cmd.Dir = filepath.Dir(s.data)
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %w\n%s", prog, strings.Join(args, " "), err, out)
	}
	return nil
}

// pgBinDir returns PG_BIN_DIR or the newest installed PostgreSQL's bin.
func pgBinDir() string {
	if d := os.Getenv("PG_BIN_DIR"); d != "" {
		return d
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		a, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		b, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return a < b
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i]
		}
	}
	return ""
}
