package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	readyTimeout = 30 * time.Second // an api of a stack
	procTimeout  = 60 * time.Second // a process started by StartProc
	stopTimeout  = 20 * time.Second
	maxLogBytes  = 256 << 10 // printed tail of a process's output
)

// Proc is one running (or stopped) binary: an api of a stack or a process
// started by StartProc. Its address is fixed for its lifetime, so a
// restarted Proc keeps its URL.
type Proc struct {
	name         string
	bin          string
	args, env    []string
	dir          string // working directory; "" is the test's
	addr         string // 127.0.0.1:port
	readyURL     string // answers 200 once the process is ready
	readyTimeout time.Duration

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{} // closed when cmd has exited
	exitErr error         // cmd.Wait's answer, set before done is closed
	killed  bool          // the harness sent SIGKILL to the last run
	logs    *logBuffer
}

func newProc(name, bin, addr string, env []string) *Proc {
	return &Proc{
		name: name, bin: bin, addr: addr, env: env,
		readyURL: "http://" + addr + "/readyz", readyTimeout: readyTimeout,
		logs: &logBuffer{},
	}
}

// StartProc starts bin (see Binary) as a process labelled name, with args,
// exactly the environment env (see Env) and a fresh t.TempDir() as working
// directory, and waits until readyURL answers 200. Proc.URL is
// "http://" and readyURL's host. In t.Cleanup the process is stopped (SIGTERM), t fails on
// an unclean exit or a data race, and its output is printed when t failed
// (or always with E2E_LOGS=1).
func StartProc(t testing.TB, name, bin, readyURL string, args, env []string) *Proc {
	t.Helper()
	u, err := url.Parse(readyURL)
	if err != nil || u.Host == "" {
		t.Fatalf("harness: %s: bad ready URL %q", name, readyURL)
	}
	p := &Proc{
		name: name, bin: bin, args: args, env: env, dir: t.TempDir(),
		addr: u.Host, readyURL: readyURL, readyTimeout: procTimeout,
		logs: &logBuffer{},
	}
	t.Cleanup(func() {
		p.Stop()
		p.checkExit(t)
		if t.Failed() || os.Getenv("E2E_LOGS") != "" {
			t.Logf("--- %s output ---\n%s", p.name, p.logs.Tail(maxLogBytes))
		}
	})
	p.start(t)
	return p
}

// Name is the process's label in logs, e.g. "api-0".
func (p *Proc) Name() string { return p.name }

// URL is the base URL of the process, e.g. http://127.0.0.1:41234.
func (p *Proc) URL() string { return "http://" + p.addr }

// Logs returns everything the process wrote to stdout and stderr so far.
func (p *Proc) Logs() string { return p.logs.String() }

// Running reports whether the process is alive.
func (p *Proc) Running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.runningLocked()
}

func (p *Proc) runningLocked() bool {
	if p.done == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// start launches the process and waits until its ready URL answers 200.
func (p *Proc) start(t testing.TB) {
	t.Helper()
	p.mu.Lock()
	if p.runningLocked() {
		p.mu.Unlock()
		t.Fatalf("harness: %s already running", p.name)
	}
	fmt.Fprintf(p.logs, "=== harness: starting %s on %s\n", p.name, p.addr)
	cmd := exec.Command(p.bin, p.args...)
	cmd.Dir, cmd.Env = p.dir, p.env
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	// Own process group: a Ctrl-C on `go test` must not reach the servers
	// before the harness stops them in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		p.mu.Unlock()
		t.Fatalf("harness: start %s: %v", p.name, err)
	}
	done := make(chan struct{})
	p.cmd, p.done, p.exitErr, p.killed = cmd, done, nil, false
	p.mu.Unlock()
	go func() {
		err := cmd.Wait()
		fmt.Fprintf(p.logs, "=== harness: %s exited: %v\n", p.name, exitText(err))
		p.mu.Lock()
		p.exitErr = err
		p.mu.Unlock()
		close(done)
	}()
	if err := p.waitReady(done); err != nil {
		t.Fatalf("harness: %s not ready: %v\n--- %s output ---\n%s", p.name, err, p.name, p.logs.Tail(maxLogBytes))
	}
}

// waitReady polls the ready URL until it answers 200, the process exits or
// the timeout passes.
func (p *Proc) waitReady(done <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(context.Background(), p.readyTimeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	last := errors.New("no answer yet")
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.readyURL, nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Errorf("GET %s: %d", p.readyURL, resp.StatusCode)
		} else {
			last = err
		}
		select {
		case <-done:
			return errors.New("process exited during start-up")
		case <-ctx.Done():
			return fmt.Errorf("after %s: %v", p.readyTimeout, last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Stop sends SIGTERM and waits for the process to exit (SIGKILL after a
// grace period). Stopping a stopped process does nothing.
func (p *Proc) Stop() { p.signal(syscall.SIGTERM, stopTimeout) }

// Kill sends SIGKILL and waits for the process to exit.
func (p *Proc) Kill() { p.signal(syscall.SIGKILL, stopTimeout) }

func (p *Proc) signal(sig syscall.Signal, grace time.Duration) {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	running := p.runningLocked()
	p.mu.Unlock()
	if !running {
		return
	}
	p.mu.Lock()
	p.killed = p.killed || sig == syscall.SIGKILL
	p.mu.Unlock()
	_ = cmd.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(grace):
		fmt.Fprintf(p.logs, "=== harness: %s ignored %v for %s; killing\n", p.name, sig, grace)
		p.mu.Lock()
		p.killed = true
		p.mu.Unlock()
		_ = cmd.Process.Kill()
		<-done
	}
}

// checkExit reports, once the process has stopped, a shutdown that was not
// clean (non-zero status after SIGTERM) and any data race or fatal runtime
// error the process printed (see E2E_BUILD_FLAGS=-race).
func (p *Proc) checkExit(t testing.TB) {
	t.Helper()
	p.mu.Lock()
	err, killed, started := p.exitErr, p.killed, p.done != nil
	p.mu.Unlock()
	if started && err != nil && !killed {
		t.Errorf("harness: %s did not shut down cleanly on SIGTERM: %v", p.name, err)
	}
	logs := p.logs.String()
	for _, bad := range []string{"WARNING: DATA RACE", "fatal error: "} {
		if strings.Contains(logs, bad) {
			t.Errorf("harness: %s printed %q (output below)", p.name, bad)
		}
	}
}

// Restart stops the process if it runs, starts it again on the same address
// and waits until it is ready.
func (p *Proc) Restart(t testing.TB) {
	t.Helper()
	p.Stop()
	p.start(t)
}

// FreeAddr returns a loopback address with a port that was free a moment ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("harness: free port: %v", err)
	}
	defer l.Close()
	return "127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// baseEnv is the part of the test process's environment a binary needs to
// run (nothing that configures the app itself).
func baseEnv() []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "TZ", "GOCOVERDIR", "GORACE"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// Env is the environment for a binary: the part of the test process's
// environment any binary needs (PATH, HOME, TMPDIR, TZ, GOCOVERDIR, GORACE)
// followed by vars, sorted.
func Env(vars map[string]string) []string {
	return append(baseEnv(), envList(vars)...)
}

func exitText(err error) string {
	if err == nil {
		return "status 0"
	}
	return err.Error()
}

// logBuffer is a goroutine-safe buffer for process output.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Tail returns the last n bytes, marked as cut when longer.
func (b *logBuffer) Tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.Bytes()
	if len(s) <= n {
		return string(s)
	}
	return fmt.Sprintf("[... %d bytes cut ...]\n%s", len(s)-n, s[len(s)-n:])
}
