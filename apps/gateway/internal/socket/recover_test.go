package socket

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	dto "github.com/prometheus/client_model/go"

	"github.com/chatforge/chat/apps/gateway/internal/hub"
)

// TestFramePanicEndsSocket: a frame handler that panics ends its socket
// the normal way: closed with 1011, gone from the hub and from melody,
// the connection gauge back down, the presence lease released. The clock
// (Deps.Now) is the injection point: with TypingTTL this long, nothing but
// a strike (a bad frame) reads it once the socket is up.
func TestFramePanicEndsSocket(t *testing.T) {
	var boom atomic.Bool
	logs := &logRecorder{}
	e := newEnvDeps(t, 1, func(c *Config) { c.TypingTTL = time.Hour }, func(d *Deps) {
		d.Log = slog.New(logs)
		d.Now = func() time.Time {
			if boom.CompareAndSwap(true, false) {
				panic("test: panic in a frame handler")
			}
			return time.Now()
		}
	})
	g := e.gws[0].g
	for _, tc := range []struct {
		callback, handler string
		kind              int
		frame             string
	}{
		{"message", "onMessage", websocket.TextMessage, "{not json"},
		{"binary", "onBinary", websocket.BinaryMessage, "\x00\x01"},
	} {
		t.Run(tc.callback, func(t *testing.T) {
			a := e.user(t)
			c := e.dial(t, 0, a.Token)
			waitOnline(t, g, a.ID, true) // finishConnect took the lease
			boom.Store(true)
			c.Raw(tc.kind, []byte(tc.frame))
			if code := c.closeCode(t); code != websocket.CloseInternalServerErr {
				t.Errorf("close code = %d, want 1011", code)
			}
			if boom.Load() {
				t.Fatal("the frame handler did not panic")
			}
			waitNoSockets(t, g)
			waitOnline(t, g, a.ID, false)
			if attrs := logs.wait(t, "panic recovered in a socket callback"); attrs["callback"] != tc.callback || !strings.Contains(attrs["stack"], tc.handler) {
				t.Errorf("panic log = %v", attrs)
			}
			logs.reset()
		})
	}
}

// TestConnectPanicEndsSocket: a panic in onConnect (after the connection
// is registered) cuts the socket, hands the error to serveWS (which logs it
// and returns), and the teardown unregisters the connection.
func TestConnectPanicEndsSocket(t *testing.T) {
	logs := &logRecorder{}
	e := newEnvDeps(t, 1, nil, func(d *Deps) { d.Log = slog.New(logs) })
	g := e.gws[0].g
	hook := func(*hub.Conn) { panic("test: panic in the connect") }
	g.afterAdd.Store(&hook)
	c, err := e.tryDial(0, e.user(t).Token) // upgraded before onConnect
	if err != nil {
		t.Fatal(err)
	}
	defer c.conn.Close()
	c.closeCode(t)
	g.afterAdd.Store(nil)
	waitNoSockets(t, g)
	if attrs := logs.wait(t, "websocket upgrade failed"); !strings.Contains(attrs["err"], "panic during the connect") {
		t.Errorf("serveWS got %v, want the connect's panic", attrs)
	}
	// The gateway goes on accepting sockets.
	e.dial(t, 0, e.user(t).Token)
	waitConns(t, g, 1)
}

func waitOnline(t *testing.T, g *Gateway, user string, online bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		p, err := g.Presence.Status(context.Background(), user)
		if err == nil && p.Online == online {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("presence of %s: online = %v (err %v), want %v", user, p.Online, err, online)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// logRecorder is a slog handler keeping every record's message and
// attributes (as text), at every level.
type logRecorder struct {
	mu   sync.Mutex
	recs []loggedRecord
}

type loggedRecord struct {
	msg   string
	attrs map[string]string
}

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	attrs := make(map[string]string, rec.NumAttrs())
	rec.Attrs(func(a slog.Attr) bool {
		attrs[a.Key] = a.Value.String()
		return true
	})
	r.mu.Lock()
	r.recs = append(r.recs, loggedRecord{msg: rec.Message, attrs: attrs})
	r.mu.Unlock()
	return nil
}

func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *logRecorder) WithGroup(string) slog.Handler      { return r }

func (r *logRecorder) reset() {
	r.mu.Lock()
	r.recs = nil
	r.mu.Unlock()
}

// wait returns the attributes of the first record logged with msg.
func (r *logRecorder) wait(t *testing.T, msg string) map[string]string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r.mu.Lock()
		for _, rec := range r.recs {
			if rec.msg == msg {
				r.mu.Unlock()
				return rec.attrs
			}
		}
		r.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("no %q logged", msg)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitNoSockets waits until the gateway holds no socket: none in the hub,
// the connection gauge at zero and none in melody (its hub goroutine
// unregisters a session shortly after the session ends).
func waitNoSockets(t *testing.T, g *Gateway) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var m dto.Metric
		if err := g.Metrics.Connections.Write(&m); err != nil {
			t.Fatal(err)
		}
		hub, gauge, melody := g.Connections(), m.GetGauge().GetValue(), g.m.Len()
		if hub == 0 && gauge == 0 && melody == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("sockets left: hub %d, connection gauge %v, melody %d; want none", hub, gauge, melody)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
