package socket

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

type frame struct {
	Event string          `json:"event"`
	Ref   json.RawMessage `json:"ref"`
	Data  json.RawMessage `json:"data"`
}

func (f frame) String() string { return fmt.Sprintf("%s ref=%s %s", f.Event, f.Ref, f.Data) }

// wsClient is a test socket: a reader goroutine collects frames and the
// close code.
type wsClient struct {
	conn   *websocket.Conn
	frames chan frame
	closed chan int // close code (or -1 for an abnormal end)
	mu     sync.Mutex
}

func (e *env) dial(t *testing.T, gw int, token string) *wsClient {
	t.Helper()
	c, err := e.tryDial(gw, token)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	// Closed with the env, not the (sub)test: subtests share sockets.
	e.mu.Lock()
	e.clients = append(e.clients, c)
	e.mu.Unlock()
	c.expect(t, "ready")
	return c
}

func (e *env) tryDial(gw int, token string) (*wsClient, error) {
	u := "ws" + strings.TrimPrefix(e.gws[gw].srv.URL, "http") + "/ws"
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	conn, resp, err := websocket.DefaultDialer.Dial(u, h)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("status %d: %w", resp.StatusCode, err)
		}
		return nil, err
	}
	c := &wsClient{conn: conn, frames: make(chan frame, 4096), closed: make(chan int, 1)}
	go func() {
		for {
			_, b, err := conn.ReadMessage()
			if err != nil {
				code := -1
				if ce, ok := err.(*websocket.CloseError); ok {
					code = ce.Code
				}
				c.closed <- code
				close(c.frames)
				return
			}
			var f frame
			if json.Unmarshal(b, &f) == nil {
				c.frames <- f
			}
		}
	}()
	return c, nil
}

func (c *wsClient) send(event, ref string, data any) {
	env := map[string]any{"event": event}
	if ref != "" {
		env["ref"] = ref
	}
	if data != nil {
		env["data"] = data
	}
	b, _ := json.Marshal(env)
	c.raw(b)
}

func (c *wsClient) raw(b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	// A failed write shows as a missing answer in the test.
	_ = c.conn.WriteMessage(websocket.TextMessage, b)
}

// expect returns the next frame whose event is one of events, skipping
// others (presence and typing of other tests' users, receipts...).
func (c *wsClient) expect(t *testing.T, events ...string) frame {
	t.Helper()
	timeout := time.After(10 * time.Second)
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
			t.Fatalf("no %v frame within 10s", events)
		}
	}
}

// quiet fails if a frame of one of events arrives within d.
func (c *wsClient) quiet(t *testing.T, d time.Duration, events ...string) {
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

// closeCode waits for the server to close the socket and returns the code.
func (c *wsClient) closeCode(t *testing.T) int {
	t.Helper()
	select {
	case code := <-c.closed:
		return code
	case <-time.After(10 * time.Second):
		t.Fatal("socket not closed within 10s")
		return 0
	}
}

func decode[T any](t *testing.T, raw json.RawMessage) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return v
}

type message struct {
	ID          string `json:"id"`
	RoomID      string `json:"roomId"`
	Seq         int64  `json:"seq"`
	UserID      string `json:"userId"`
	Content     string `json:"content"`
	ClientMsgID string `json:"clientMsgId"`
	Timestamp   string `json:"timestamp"`
}

type errData struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}
