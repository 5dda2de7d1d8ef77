// Package gatewaytest is test support for the gateway's socket protocol v1:
// a small WebSocket client that dials /ws with a bearer token, queues the
// server's frames, sends envelopes and waits for events, acks by ref and
// the close code. It is meant for tests only (the gateway's own and the
// end-to-end suite); production code must not import it.
package gatewaytest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Frame is a server frame of socket protocol v1.
type Frame struct {
	Event string          `json:"event"`
	Ref   json.RawMessage `json:"ref"`
	Data  json.RawMessage `json:"data"`
}

func (f Frame) String() string { return fmt.Sprintf("%s ref=%s %s", f.Event, f.Ref, f.Data) }

// ErrorData is the data of an "error" frame.
type ErrorData struct {
	Code         string `json:"code"`
	Message      string `json:"message"`
	RetryAfterMs int64  `json:"retryAfterMs,omitempty"` // rate_limited, and unavailable from an overloaded server
}

// Options tune Dial; the zero value is usable.
type Options struct {
	Dialer  *websocket.Dialer // nil: websocket.DefaultDialer
	Buffer  int               // frames queued before the reader blocks; 0: 4096
	Timeout time.Duration     // how long Expect waits; 0: 10s
	// Header is sent with the upgrade; its Authorization replaces the
	// Bearer one made of token (a bot's "Bot <token>").
	Header http.Header
}

// Client is a real WebSocket client: a reader goroutine queues frames (and
// answers pings, as gorilla does while reading) and records the close code.
type Client struct {
	Conn   *websocket.Conn
	Frames <-chan Frame // closed when the connection ends

	frames  chan Frame
	closed  chan int // close code, -1 when the connection just dropped
	timeout time.Duration
	wmu     sync.Mutex
}

// Dial connects to url (ws://host/ws) with token in the Authorization
// header ("" sends none). It returns the client and 101, or the HTTP status
// of a refused upgrade (0 when there was no HTTP answer) and the error.
func Dial(url, token string, o Options) (*Client, int, error) {
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	for k, vs := range o.Header {
		h[k] = vs
	}
	d := o.Dialer
	if d == nil {
		d = websocket.DefaultDialer
	}
	conn, resp, err := d.Dial(url, h)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		return nil, status, err
	}
	if o.Buffer <= 0 {
		o.Buffer = 4096
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	c := &Client{frames: make(chan Frame, o.Buffer), closed: make(chan int, 1), timeout: o.Timeout}
	c.Conn, c.Frames = conn, c.frames
	go c.read()
	return c, http.StatusSwitchingProtocols, nil
}

func (c *Client) read() {
	for {
		_, b, err := c.Conn.ReadMessage()
		if err != nil {
			code := -1
			if ce, ok := err.(*websocket.CloseError); ok {
				code = ce.Code
			}
			c.closed <- code
			close(c.frames)
			return
		}
		var f Frame
		if json.Unmarshal(b, &f) == nil {
			c.frames <- f
		}
	}
}

// Close closes the connection without a close handshake.
func (c *Client) Close() error { return c.Conn.Close() }

// Send writes {"event","ref","data"}; ref "" and data nil are left out.
func (c *Client) Send(event, ref string, data any) {
	m := map[string]any{"event": event}
	if ref != "" {
		m["ref"] = ref
	}
	if data != nil {
		m["data"] = data
	}
	b, _ := json.Marshal(m)
	c.Raw(websocket.TextMessage, b)
}

// Raw writes one message of kind (websocket.TextMessage...) as is. A failed
// write is ignored: it shows as a missing answer in the test.
func (c *Client) Raw(kind int, b []byte) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.Conn.WriteMessage(kind, b)
}

// Expect returns the next frame with one of events, skipping the others
// (presence of other users, receipts, typing...). It fails the test if the
// socket ends or no such frame comes within the client's timeout.
func (c *Client) Expect(t testing.TB, events ...string) Frame {
	t.Helper()
	timeout := time.After(c.timeout)
	for {
		select {
		case f, ok := <-c.frames:
			if !ok {
				t.Fatalf("socket closed while waiting for %v", events)
			}
			for _, e := range events {
				if f.Event == e {
					return f
				}
			}
		case <-timeout:
			t.Fatalf("no %v frame within %s", events, c.timeout)
		}
	}
}

// ExpectRef is Expect for the answer to ref: frames with one of events but
// another ref (late answers to earlier requests) are skipped too.
func (c *Client) ExpectRef(t testing.TB, ref string, events ...string) Frame {
	t.Helper()
	want := `"` + ref + `"`
	for {
		if f := c.Expect(t, events...); string(f.Ref) == want {
			return f
		}
	}
}

// Quiet fails the test if a frame with one of events arrives within d.
func (c *Client) Quiet(t testing.TB, d time.Duration, events ...string) {
	t.Helper()
	timeout := time.After(d)
	for {
		select {
		case f, ok := <-c.frames:
			if !ok {
				return
			}
			for _, e := range events {
				if f.Event == e {
					t.Fatalf("unexpected frame %v", f)
				}
			}
		case <-timeout:
			return
		}
	}
}

// CloseCode waits up to within for the socket to end and returns the
// server's close code (-1 when the connection dropped without one).
func (c *Client) CloseCode(t testing.TB, within time.Duration) int {
	t.Helper()
	select {
	case code := <-c.closed:
		return code
	case <-time.After(within):
		t.Fatalf("socket not closed within %s", within)
		return 0
	}
}

// Decode unmarshals raw (a frame's data) into a T or fails the test.
func Decode[T any](t testing.TB, raw json.RawMessage) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return v
}
