package socketio

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// driver runs driver.mjs (the real socket.io-client under Node) and
// records what its sockets see.
type driver struct {
	t     *testing.T
	stdin io.WriteCloser

	mu     sync.Mutex
	events []sioEvent
	wake   chan struct{}
}

// sioEvent is one line of the driver's output.
type sioEvent struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"` // connect, upgrade, connect_error, disconnect, event, ack, driver_error
	Transport string          `json:"transport"`
	SID       string          `json:"sid"` // the Engine.IO session id (connect)
	Event     string          `json:"event"`
	Reason    string          `json:"reason"`
	Message   string          `json:"message"`
	Tag       string          `json:"tag"`
	Timeout   *string         `json:"timeout"`
	Data      json.RawMessage `json:"data"`
}

var npmOnce sync.Once
var npmErr error

// testDir is this package's directory (package.json, driver.mjs).
func testDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

// ensureNodeModules runs `npm ci` once when node_modules is missing (a
// fresh clone; .ci/run does it beforehand).
func ensureNodeModules(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("node is required for the Socket.IO end-to-end tests")
		}
		t.Skip("node not installed: Socket.IO end-to-end tests skipped")
	}
	npmOnce.Do(func() {
		if _, err := os.Stat(filepath.Join(testDir(), "node_modules", "socket.io-client")); err == nil {
			return
		}
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir = testDir()
		if out, err := cmd.CombinedOutput(); err != nil {
			npmErr = &npmError{err: err, out: string(out)}
		}
	})
	if npmErr != nil {
		t.Fatal(npmErr)
	}
}

type npmError struct {
	err error
	out string
}

func (e *npmError) Error() string { return "npm ci: " + e.err.Error() + "\n" + e.out }

func newDriver(t *testing.T) *driver {
	t.Helper()
	ensureNodeModules(t)
	cmd := exec.Command("node", "driver.mjs")
	cmd.Dir = testDir()
	cmd.Stderr = &tWriter{t: t}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d := &driver{t: t, stdin: stdin, wake: make(chan struct{}, 1)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var e sioEvent
			if json.Unmarshal(sc.Bytes(), &e) != nil {
				continue
			}
			d.mu.Lock()
			d.events = append(d.events, e)
			d.mu.Unlock()
			select {
			case d.wake <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() {
		_ = stdin.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
		}
		_ = cmd.Wait()
		if t.Failed() {
			d.mu.Lock()
			for _, e := range d.events {
				b, _ := json.Marshal(e)
				t.Logf("driver: %s", b)
			}
			d.mu.Unlock()
		}
	})
	return d
}

// tWriter logs the driver's stderr in the test.
type tWriter struct{ t *testing.T }

func (w *tWriter) Write(p []byte) (int, error) {
	w.t.Logf("node: %s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func (d *driver) do(cmd map[string]any) {
	d.t.Helper()
	b, _ := json.Marshal(cmd)
	if _, err := d.stdin.Write(append(b, '\n')); err != nil {
		d.t.Fatalf("driver: %v", err)
	}
}

// waitFor returns the first event at index >= *from matching ok, and moves
// *from past it; it fails the test after timeout.
func (d *driver) waitFor(from *int, timeout time.Duration, what string, ok func(sioEvent) bool) sioEvent {
	d.t.Helper()
	deadline := time.After(timeout)
	for {
		d.mu.Lock()
		for i := *from; i < len(d.events); i++ {
			if e := d.events[i]; e.Type == "driver_error" {
				d.mu.Unlock()
				d.t.Fatalf("driver error: %s", e.Message)
			} else if ok(e) {
				*from = i + 1
				d.mu.Unlock()
				return e
			}
		}
		d.mu.Unlock()
		select {
		case <-d.wake:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			d.t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// client is one socket of the driver, with its own read cursor.
type client struct {
	d    *driver
	id   string
	from int
	tags int
}

func (d *driver) connect(id, url string, opts map[string]any) *client {
	d.do(map[string]any{"op": "connect", "id": id, "url": url, "opts": opts})
	return &client{d: d, id: id}
}

func (c *client) wait(what string, ok func(sioEvent) bool) sioEvent {
	c.d.t.Helper()
	return c.d.waitFor(&c.from, 15*time.Second, c.id+": "+what, func(e sioEvent) bool { return e.ID == c.id && ok(e) })
}

func (c *client) waitType(typ string) sioEvent {
	c.d.t.Helper()
	return c.wait(typ, func(e sioEvent) bool { return e.Type == typ })
}

func (c *client) waitEvent(event string, ok func(json.RawMessage) bool) sioEvent {
	c.d.t.Helper()
	return c.wait("event "+event, func(e sioEvent) bool {
		return e.Type == "event" && e.Event == event && (ok == nil || ok(e.Data))
	})
}

// call emits event with an ack callback and returns the callback's
// argument.
func (c *client) call(event string, data any) json.RawMessage {
	c.d.t.Helper()
	c.tags++
	tag := c.id + "-" + strings.Repeat("i", c.tags)
	c.d.do(map[string]any{"op": "emit", "id": c.id, "event": event, "data": data, "tag": tag})
	from := 0 // acks are matched by tag: they may come after events read later
	e := c.d.waitFor(&from, 15*time.Second, c.id+": ack of "+event, func(e sioEvent) bool { return e.Type == "ack" && e.Tag == tag })
	if e.Timeout != nil {
		c.d.t.Fatalf("%s: ack of %s timed out: %s", c.id, event, *e.Timeout)
	}
	return e.Data
}

func (c *client) emit(event string, data any) {
	c.d.do(map[string]any{"op": "emit", "id": c.id, "event": event, "data": data})
}

func (c *client) close() { c.d.do(map[string]any{"op": "close", "id": c.id}) }
