package e2e

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

// wsFrame is a server frame of socket protocol v1.
type wsFrame struct {
	Event string          `json:"event"`
	Ref   json.RawMessage `json:"ref"`
	Data  json.RawMessage `json:"data"`
}

func (f wsFrame) String() string { return fmt.Sprintf("%s ref=%s %s", f.Event, f.Ref, f.Data) }

// ws is a real WebSocket client: a reader goroutine queues frames (and
// answers pings, as gorilla does while reading) and records the close code.
type ws struct {
	conn   *websocket.Conn
	frames chan wsFrame
	closed chan int // close code, -1 when the connection just dropped
	wmu    sync.Mutex
}

// wsDial connects with the token in the Authorization header and returns
// the client, or the HTTP status of a refused upgrade.
func wsDial(url, token string) (*ws, int, error) {
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	conn, resp, err := d.Dial(url, h)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		return nil, status, err
	}
	c := &ws{conn: conn, frames: make(chan wsFrame, 8192), closed: make(chan int, 1)}
	go c.read()
	return c, http.StatusSwitchingProtocols, nil
}

// connect dials, fails the test on refusal, waits for ready and closes the
// socket at the end of the test.
func connect(t *testing.T, url, token string) *ws {
	t.Helper()
	c, status, err := wsDial(url, token)
	if err != nil {
		t.Fatalf("dial %s: status %d: %v", url, status, err)
	}
	t.Cleanup(func() { c.conn.Close() })
	c.expect(t, "ready")
	return c
}

func (c *ws) read() {
	for {
		_, b, err := c.conn.ReadMessage()
		if err != nil {
			code := -1
			if ce, ok := err.(*websocket.CloseError); ok {
				code = ce.Code
			}
			c.closed <- code
			close(c.frames)
			return
		}
		var f wsFrame
		if json.Unmarshal(b, &f) == nil {
			c.frames <- f
		}
	}
}

// send writes {"event","ref","data"}; ref "" and data nil are left out.
func (c *ws) send(event, ref string, data any) {
	m := map[string]any{"event": event}
	if ref != "" {
		m["ref"] = ref
	}
	if data != nil {
		m["data"] = data
	}
	b, _ := json.Marshal(m)
	c.raw(websocket.TextMessage, b)
}

func (c *ws) raw(kind int, b []byte) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.conn.WriteMessage(kind, b) // a failed write shows as a missing answer
}

// expect returns the next frame with one of events, skipping the others
// (presence of other users, receipts, typing...).
func (c *ws) expect(t *testing.T, events ...string) wsFrame {
	t.Helper()
	timeout := time.After(15 * time.Second)
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
			t.Fatalf("no %v frame within 15s", events)
		}
	}
}

// quiet fails if a frame with one of events arrives within d.
func (c *ws) quiet(t *testing.T, d time.Duration, events ...string) {
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

// closeCode waits for the socket to end and returns the server's close code.
func (c *ws) closeCode(t *testing.T, within time.Duration) int {
	t.Helper()
	select {
	case code := <-c.closed:
		return code
	case <-time.After(within):
		t.Fatalf("socket still open after %s", within)
		return 0
	}
}

// join joins room (lastSeq < 0: no history) and returns the ack data; the
// receive-message frames replayed before the ack are returned in order.
func (c *ws) join(t *testing.T, room string, lastSeq int64) (ack map[string]any, replayed []chatMessage) {
	t.Helper()
	data := map[string]any{"roomId": room}
	if lastSeq >= 0 {
		data["lastSeq"] = lastSeq
	}
	c.send("join-room", "join", data)
	for {
		f := c.expect(t, "receive-message", "ack", "error")
		switch f.Event {
		case "error":
			t.Fatalf("join-room %s: %s", room, f.Data)
		case "ack":
			return jsonOf[map[string]any](t, f.Data), replayed
		default:
			replayed = append(replayed, jsonOf[chatMessage](t, f.Data))
		}
	}
}

// sendMessage sends and waits for the ack, resending with the same
// clientMsgId while the answer is "unavailable" (an api died): the client
// side of at-least-once.
func (c *ws) sendMessage(t *testing.T, room, content, clientMsgID string) chatMessage {
	t.Helper()
	for attempt := 0; ; attempt++ {
		c.send("send-message", clientMsgID, map[string]any{"roomId": room, "content": content, "clientMsgId": clientMsgID})
		for {
			f := c.expect(t, "ack", "error")
			if string(f.Ref) != `"`+clientMsgID+`"` {
				continue // a late answer to an earlier attempt
			}
			if f.Event == "ack" {
				return jsonOf[chatMessage](t, f.Data)
			}
			e := jsonOf[wsError](t, f.Data)
			if e.Code != "unavailable" || attempt > 10 {
				t.Fatalf("send %s: %+v", clientMsgID, e)
			}
			break
		}
	}
}

type wsError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func jsonOf[T any](t *testing.T, raw json.RawMessage) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return v
}

// waitPresence waits for a presence frame about user with status.
func (c *ws) waitPresence(t *testing.T, user, status string) map[string]any {
	t.Helper()
	for {
		p := jsonOf[map[string]any](t, c.expect(t, "presence").Data)
		if p["userId"] == user && p["status"] == status {
			return p
		}
	}
}

// collect reads receive-message frames of room until n arrived (skipping
// other frames) and returns them in arrival order.
func (c *ws) collect(t *testing.T, room string, n int) []chatMessage {
	t.Helper()
	var out []chatMessage
	for len(out) < n {
		m := jsonOf[chatMessage](t, c.expect(t, "receive-message").Data)
		if m.RoomID == room {
			out = append(out, m)
		}
	}
	return out
}

// inOrder fails unless msgs have the seqs from, from+1, ... with no gap
// or duplicate.
func inOrder(t *testing.T, who string, msgs []chatMessage, from int64) {
	t.Helper()
	for i, m := range msgs {
		if m.Seq != from+int64(i) {
			var seqs []string
			for _, x := range msgs {
				seqs = append(seqs, fmt.Sprint(x.Seq))
			}
			t.Fatalf("%s: message %d has seq %d, want %d; seqs %s", who, i, m.Seq, from+int64(i), strings.Join(seqs, ","))
		}
	}
}
