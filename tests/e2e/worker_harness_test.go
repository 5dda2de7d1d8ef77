package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chatforge/chat/tests/e2e/harness"
)

// This file starts the processes the worker tests need beside a
// harness.Stack: the worker binary and a real SMTP server (Mailpit).

// mailpitVersion is the Mailpit the tests (and scripts/mailpit.sh) use.
const mailpitVersion = "v1.33.1"

// bin builds or locates a binary once per test process.
type bin struct {
	once sync.Once
	path string
	err  error
}

var workerBin, mailpitBin bin // mailpitBin: see worker_mailpit_test.go

// workerBinary builds ./apps/worker (E2E_BUILD_FLAGS apply, as for the api).
func workerBinary(t *testing.T) string {
	t.Helper()
	workerBin.once.Do(func() {
		root, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			workerBin.err = err
			return
		}
		dir, err := os.MkdirTemp("", "chatforge-e2e-worker-")
		if err != nil {
			workerBin.err = err
			return
		}
		out := filepath.Join(dir, "worker")
		args := append([]string{"build", "-o", out}, strings.Fields(os.Getenv("E2E_BUILD_FLAGS"))...)
		cmd := exec.Command("go", append(args, "./apps/worker")...)
		cmd.Dir = filepath.Dir(strings.TrimSpace(string(root)))
		if b, err := cmd.CombinedOutput(); err != nil {
			workerBin.err = fmt.Errorf("go build ./apps/worker: %v\n%s", err, b)
			return
		}
		workerBin.path = out
	})
	if workerBin.err != nil {
		t.Fatalf("worker binary: %v", workerBin.err)
	}
	return workerBin.path
}

// proc is a background process with its output kept for failure reports.
type proc struct {
	name, bin, dir string
	args, env      []string
	readyURL       string

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{}
	exitErr error // set before done closes
	logs    lockedBuffer
}

func newBgProc(t *testing.T, name, bin, readyURL string, args, env []string) *proc {
	p := &proc{name: name, bin: bin, dir: t.TempDir(), args: args, env: env, readyURL: readyURL}
	t.Cleanup(func() {
		// A graceful stop must end with status 0 (a SIGKILLed run is over
		// already and not judged).
		if p.stop(syscall.SIGTERM) && p.exit() != nil {
			t.Errorf("%s did not shut down cleanly on SIGTERM: %v", p.name, p.exit())
		}
		if t.Failed() || os.Getenv("E2E_LOGS") != "" {
			t.Logf("--- %s output ---\n%s", p.name, p.logs.tail(128<<10))
		}
		if s := p.logs.String(); strings.Contains(s, "WARNING: DATA RACE") {
			t.Errorf("%s printed a data race", p.name)
		}
	})
	return p
}

// start launches the process and waits for readyURL to answer 200.
func (p *proc) start(t *testing.T) {
	t.Helper()
	fmt.Fprintf(&p.logs, "=== test: starting %s\n", p.name)
	cmd := exec.Command(p.bin, p.args...)
	cmd.Dir, cmd.Env = p.dir, p.env
	cmd.Stdout, cmd.Stderr = &p.logs, &p.logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", p.name, err)
	}
	done := make(chan struct{})
	go func() {
		err := cmd.Wait()
		fmt.Fprintf(&p.logs, "=== test: %s exited: %v\n", p.name, err)
		p.mu.Lock()
		p.exitErr = err
		p.mu.Unlock()
		close(done)
	}()
	p.mu.Lock()
	p.cmd, p.done = cmd, done
	p.mu.Unlock()

	deadline := time.Now().Add(60 * time.Second)
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		if res, err := client.Get(p.readyURL); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-done:
			t.Fatalf("%s exited during start-up:\n%s", p.name, p.logs.tail(16<<10))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready at %s:\n%s", p.name, p.readyURL, p.logs.tail(16<<10))
		}
	}
}

// stop signals the process and waits for it (SIGKILL after 30 s). It
// reports whether the process was running.
func (p *proc) stop(sig syscall.Signal) bool {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil {
		return false
	}
	select {
	case <-done:
		return false
	default:
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		fmt.Fprintf(&p.logs, "=== test: %s ignored %v for 30s; killing\n", p.name, sig)
		_ = cmd.Process.Kill()
		<-done
	}
	return true
}

func (p *proc) exit() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exitErr
}

// startWorker starts a worker for stack s. The worker's PUBLIC_BASE_URL is
// the first api's, as identity builds its links there; env overrides.
func startWorker(t *testing.T, s *harness.Stack, name string, env map[string]string) *proc {
	t.Helper()
	addr := freeAddr(t)
	e := map[string]string{
		"DATABASE_URL":            s.DatabaseURL,
		"REDIS_URL":               s.RedisURL,
		"WORKER_ADDR":             addr,
		"WORKER_ID":               name,
		"APP_ENV":                 "test",
		"LOG_LEVEL":               "debug",
		"PUBLIC_BASE_URL":         s.APIs[0].URL(),
		"SMTP_FROM":               "Chatforge Test <no-reply@chatforge.test>",
		"WORKER_CONCURRENCY":      "4",
		"WORKER_SHUTDOWN_TIMEOUT": "5s",
		"DB_MAX_OPEN_CONNS":       "5",
		"DB_MAX_IDLE_CONNS":       "2",
	}
	for k, v := range env {
		e[k] = v
	}
	list := baseEnvList()
	for k, v := range e {
		list = append(list, k+"="+v)
	}
	sort.Strings(list)
	p := newBgProc(t, name, workerBinary(t), "http://"+addr+"/readyz", nil, list)
	p.start(t)
	return p
}

func baseEnvList() []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "TZ", "GOCOVERDIR", "GORACE"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return "127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// eventually polls cond every 100 ms until it holds or d passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out after %s waiting for %s", d, what)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *lockedBuffer) tail(n int) string {
	s := b.String()
	if len(s) > n {
		s = "...\n" + s[len(s)-n:]
	}
	return s
}
