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

var workerBin, mailpitBin bin

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

// mailpitBinary returns MAILPIT_BIN, else the dev stack's .dev/bin/mailpit,
// else installs Mailpit from the Go module proxy into the user cache (once
// per machine; the UI is not needed here, only SMTP and the REST API).
func mailpitBinary(t *testing.T) string {
	t.Helper()
	mailpitBin.once.Do(func() {
		if p := os.Getenv("MAILPIT_BIN"); p != "" {
			mailpitBin.path = p
			return
		}
		if root, err := exec.Command("go", "env", "GOMOD").Output(); err == nil {
			p := filepath.Join(filepath.Dir(strings.TrimSpace(string(root))), ".dev", "bin", "mailpit")
			if v, err := os.ReadFile(p + ".version"); err == nil && strings.TrimSpace(string(v)) == mailpitVersion {
				mailpitBin.path = p
				return
			}
		}
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		dir := filepath.Join(cache, "chatforge-e2e", "mailpit-"+mailpitVersion)
		if _, err := os.Stat(filepath.Join(dir, "mailpit")); err == nil {
			mailpitBin.path = filepath.Join(dir, "mailpit")
			return
		}
		cmd := exec.Command("go", "install", "github.com/axllent/mailpit@"+mailpitVersion)
		cmd.Dir = os.TempDir() // outside our module: Mailpit's own go.mod rules
		cmd.Env = append(os.Environ(), "GOBIN="+dir)
		if b, err := cmd.CombinedOutput(); err != nil {
			mailpitBin.err = fmt.Errorf("go install mailpit: %v\n%s", err, b)
			return
		}
		mailpitBin.path = filepath.Join(dir, "mailpit")
	})
	if mailpitBin.err != nil {
		t.Fatalf("mailpit binary: %v", mailpitBin.err)
	}
	return mailpitBin.path
}

// proc is a background process with its output kept for failure reports.
type proc struct {
	name, bin, dir string
	args, env      []string
	readyURL       string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	logs lockedBuffer
}

func newBgProc(t *testing.T, name, bin, readyURL string, args, env []string) *proc {
	p := &proc{name: name, bin: bin, dir: t.TempDir(), args: args, env: env, readyURL: readyURL}
	t.Cleanup(func() {
		p.stop(syscall.SIGTERM)
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

// stop signals the process and waits for it (SIGKILL after 30 s).
func (p *proc) stop(sig syscall.Signal) {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	select {
	case <-done:
		return
	default:
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// mailpit is a real SMTP server with a REST API to read what it got.
type mailpit struct {
	*proc
	SMTPAddr, API string
}

// startMailpit starts Mailpit on free ports, keeping mail in a file so a
// restart (the outage test) keeps what was delivered before.
func startMailpit(t *testing.T) *mailpit {
	t.Helper()
	smtpAddr, uiAddr := freeAddr(t), freeAddr(t)
	db := filepath.Join(t.TempDir(), "mailpit.db")
	p := newBgProc(t, "mailpit", mailpitBinary(t), "http://"+uiAddr+"/readyz",
		[]string{"--smtp", smtpAddr, "--listen", uiAddr, "--database", db, "--disable-version-check",
			"--smtp-auth-accept-any", "--smtp-auth-allow-insecure", "--quiet"},
		baseEnvList())
	m := &mailpit{proc: p, SMTPAddr: smtpAddr, API: "http://" + uiAddr}
	m.start(t)
	return m
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
