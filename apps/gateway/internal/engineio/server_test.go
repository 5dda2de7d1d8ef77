package engineio

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// echo answers every message with itself and records closes.
type echo struct {
	mu     sync.Mutex
	sent   int
	closed []string
}

func (e *echo) OnOpen(*Session) {}
func (e *echo) OnMessage(s *Session, data []byte, _ bool) {
	_ = s.Send(append([]byte("echo:"), data...))
}
func (e *echo) OnSent(_ *Session, n int) { e.mu.Lock(); e.sent += n; e.mu.Unlock() }
func (e *echo) OnClose(_ *Session, reason string) {
	e.mu.Lock()
	e.closed = append(e.closed, reason)
	e.mu.Unlock()
}

func newTestServer(t *testing.T, h Handler) (*httptest.Server, *Server) {
	t.Helper()
	srv := NewServer(Config{PingInterval: 200 * time.Millisecond, PingTimeout: 200 * time.Millisecond, MaxPayload: 1000, SendBuffer: 16}, h)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts, srv
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	res, err := http.Post(url, "text/plain;charset=UTF-8", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func handshake(t *testing.T, base string) (sid string, open map[string]any) {
	t.Helper()
	code, body := get(t, base+"?EIO=4&transport=polling")
	if code != 200 || body[0] != '0' {
		t.Fatalf("handshake: %d %q", code, body)
	}
	if err := json.Unmarshal([]byte(body[1:]), &open); err != nil {
		t.Fatal(err)
	}
	return open["sid"].(string), open
}

func TestPollingSession(t *testing.T) {
	t.Parallel()
	e := &echo{}
	ts, srv := newTestServer(t, e)
	sid, open := handshake(t, ts.URL)
	if open["pingInterval"].(float64) != 200 || open["maxPayload"].(float64) != 1000 || open["upgrades"].([]any)[0] != "websocket" {
		t.Fatalf("open packet %v", open)
	}
	u := ts.URL + "?EIO=4&transport=polling&sid=" + sid
	if code, body := post(t, u, "4a\x1e4b"); code != 200 || body != "ok" {
		t.Fatalf("post: %d %q", code, body)
	}
	if _, body := get(t, u); body != "4echo:a\x1e4echo:b" {
		t.Fatalf("poll: %q", body)
	}
	// The GET is held until the ping; the pong keeps the session.
	if _, body := get(t, u); body != "2" {
		t.Fatalf("poll: %q, want a ping", body)
	}
	post(t, u, "3")
	if !srv.Has(sid) {
		t.Fatal("session gone after a pong")
	}
	// Too large: refused and closed.
	if code, _ := post(t, u, "4"+strings.Repeat("x", 1000)); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("large post: %d", code)
	}
	if srv.Has(sid) {
		t.Fatal("session kept after a payload beyond maxPayload")
	}
	if code, _ := get(t, u); code != 400 {
		t.Fatalf("poll of a closed session: %d", code)
	}
}

func TestPingTimeout(t *testing.T) {
	t.Parallel()
	e := &echo{}
	ts, srv := newTestServer(t, e)
	sid, _ := handshake(t, ts.URL)
	deadline := time.Now().Add(5 * time.Second)
	for srv.Has(sid) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if srv.Has(sid) {
		t.Fatal("a session that never polls outlived the ping timeout")
	}
	time.Sleep(50 * time.Millisecond) // OnClose runs on a goroutine of its own
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.closed) != 1 || e.closed[0] != "ping timeout" {
		t.Fatalf("closed: %v", e.closed)
	}
}

func TestServerCloseReachesThePoll(t *testing.T) {
	t.Parallel()
	var sess *Session
	h := &hookOpen{echo: &echo{}, open: func(s *Session) { sess = s }}
	ts, _ := newTestServer(t, h)
	sid, _ := handshake(t, ts.URL)
	_ = sess.Send([]byte("bye"))
	sess.Close()
	u := ts.URL + "?EIO=4&transport=polling&sid=" + sid
	if _, body := get(t, u); body != "4bye" {
		t.Fatalf("poll: %q", body)
	}
	if _, body := get(t, u); body != "1" {
		t.Fatalf("poll after the close: %q, want the close packet alone", body)
	}
	if code, _ := get(t, u); code != 400 {
		t.Fatalf("poll of a closed session: %d", code)
	}
}

type hookOpen struct {
	*echo
	open func(*Session)
}

func (h *hookOpen) OnOpen(s *Session) { h.open(s) }

func TestUpgrade(t *testing.T) {
	t.Parallel()
	e := &echo{}
	ts, _ := newTestServer(t, e)
	sid, _ := handshake(t, ts.URL)
	u := ts.URL + "?EIO=4&transport=polling&sid=" + sid
	pending := make(chan string, 1)
	go func() { _, body := get(t, u); pending <- body }()
	wsURL := "ws" + strings.TrimPrefix(ts.URL, "http") + "?EIO=4&transport=websocket&sid=" + sid
	ws, _, err := websocket.DefaultDialer.Dial(wsURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	write := func(s string) {
		if err := ws.WriteMessage(websocket.TextMessage, []byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	read := func() string {
		_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, b, err := ws.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	write("2probe")
	if m := read(); m != "3probe" {
		t.Fatalf("probe answer %q", m)
	}
	if body := <-pending; body != "6" {
		t.Fatalf("pending poll released with %q, want a noop", body)
	}
	write("5")
	write("4hi")
	if m := read(); m != "4echo:hi" {
		t.Fatalf("after upgrade: %q", m)
	}
	if code, _ := get(t, u); code != 400 {
		t.Fatalf("poll after the upgrade: %d", code)
	}
	write("4still")
	if m := read(); m != "4echo:still" {
		t.Fatalf("after a stray poll: %q", m)
	}
}

func TestBadRequests(t *testing.T) {
	t.Parallel()
	ts, _ := newTestServer(t, &echo{})
	for _, q := range []string{"?EIO=3&transport=polling", "?EIO=4&transport=carrier", "?EIO=4&transport=polling&sid=nope"} {
		if code, _ := get(t, ts.URL+q); code != 400 {
			t.Errorf("%s: %d", q, code)
		}
	}
	if code, _ := post(t, ts.URL+"?EIO=4&transport=polling", "4x"); code != 400 {
		t.Errorf("handshake by POST: %d", code)
	}
}

func TestCORS(t *testing.T) {
	t.Parallel()
	srv := NewServer(Config{PingInterval: time.Second, PingTimeout: time.Second, MaxPayload: 1000,
		AllowOrigin: func(o string) bool { return o == "https://app.example" }}, &echo{})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	do := func(method, origin string) *http.Response {
		req, _ := http.NewRequest(method, ts.URL+"?EIO=4&transport=polling", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Headers", "authorization")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	res := do(http.MethodOptions, "https://app.example")
	if res.StatusCode != http.StatusNoContent || res.Header.Get("Access-Control-Allow-Origin") != "https://app.example" ||
		res.Header.Get("Access-Control-Allow-Headers") != "authorization" || res.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Fatalf("preflight: %d %v", res.StatusCode, res.Header)
	}
	if res := do(http.MethodGet, "https://app.example"); res.StatusCode != 200 || res.Header.Get("Access-Control-Allow-Origin") != "https://app.example" {
		t.Fatalf("handshake from an allowed origin: %d %v", res.StatusCode, res.Header)
	}
	if res := do(http.MethodGet, "https://evil.example"); res.StatusCode != http.StatusForbidden || res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("handshake from another origin: %d %v", res.StatusCode, res.Header)
	}
}

// TestSlowWebsocketIsCut: a websocket client that reads nothing fills the
// send buffer; the session is cut (a melody Close would queue into the
// full buffer and report it again).
func TestSlowWebsocketIsCut(t *testing.T) {
	t.Parallel()
	opened := make(chan *Session, 1)
	h := &hookOpen{echo: &echo{}, open: func(s *Session) { opened <- s }}
	ts, _ := newTestServer(t, h)
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(ts.URL, "http")+"?EIO=4&transport=websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	sess := <-opened
	big := []byte(strings.Repeat("x", 64<<10))
	deadline := time.Now().Add(10 * time.Second)
	for !sess.Closed() && time.Now().Before(deadline) {
		_ = sess.Send(big)
	}
	if !sess.Closed() {
		t.Fatal("a client that reads nothing was never cut")
	}
}

// TestWebsocketHandlerReturns: once a websocket is upgraded, ServeHTTP
// returns (the socket runs on its own goroutine), so net/http's per-request
// buffers and the handler's stack are not held for the socket's life; the
// socket keeps working afterwards.
func TestWebsocketHandlerReturns(t *testing.T) {
	t.Parallel()
	srv := NewServer(Config{PingInterval: time.Minute, PingTimeout: time.Minute, MaxPayload: 1000, SendBuffer: 16}, &echo{})
	returned := make(chan struct{}, 1)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		srv.ServeHTTP(w, r)
		returned <- struct{}{}
	}))
	t.Cleanup(ts.Close)
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(ts.URL, "http")+"?EIO=4&transport=websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if _, p, err := ws.ReadMessage(); err != nil || p[0] != '0' {
		t.Fatalf("open packet %q, %v", p, err)
	}
	select {
	case <-returned:
	case <-time.After(10 * time.Second):
		t.Fatal("ServeHTTP still holds the upgraded websocket's request")
	}
	if err := ws.WriteMessage(websocket.TextMessage, []byte("4hi")); err != nil {
		t.Fatal(err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, p, err := ws.ReadMessage(); err != nil || string(p) != "4echo:hi" {
		t.Fatalf("after the handler returned: %q, %v", p, err)
	}
}

// After Close (the gateway drains) a polling handshake is refused: a new
// session's held GET would keep the HTTP server's graceful shutdown
// waiting for its ping (TestSocketModesAgainstRealStack: gateway exit 1).
func TestClosedServerRefusesNewSessions(t *testing.T) {
	ts, srv := newTestServer(t, &echo{})
	sid, _ := handshake(t, ts.URL)
	srv.Close()
	if code, body := get(t, ts.URL+"?EIO=4&transport=polling"); code != http.StatusServiceUnavailable {
		t.Errorf("handshake after Close: %d %q, want 503", code, body)
	}
	// The session left gets its close packet at once rather than a held GET.
	if code, body := get(t, ts.URL+"?EIO=4&transport=polling&sid="+sid); code != 200 || !strings.Contains(body, "1") {
		t.Errorf("poll of a closed session: %d %q, want the close packet", code, body)
	}
}
