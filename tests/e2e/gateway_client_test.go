package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatforge/chat/apps/gateway/gatewaytest"
)

// wsFrame is a server frame of socket protocol v1.
type wsFrame = gatewaytest.Frame

// ws is a real WebSocket client (gatewaytest.Client): a reader goroutine
// queues frames (and answers pings, as gorilla does while reading) and
// records the close code.
type ws struct {
	*gatewaytest.Client
	conn   *websocket.Conn
	frames <-chan wsFrame
}

// wsDial connects with the token in the Authorization header and returns
// the client, or the HTTP status of a refused upgrade.
func wsDial(url, token string) (*ws, int, error) {
	c, status, err := gatewaytest.Dial(url, token, gatewaytest.Options{
		Dialer:  &websocket.Dialer{HandshakeTimeout: 5 * time.Second},
		Buffer:  8192,
		Timeout: 15 * time.Second,
	})
	if err != nil {
		return nil, status, err
	}
	return &ws{Client: c, conn: c.Conn, frames: c.Frames}, status, nil
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

// send writes {"event","ref","data"}; ref "" and data nil are left out.
func (c *ws) send(event, ref string, data any) { c.Send(event, ref, data) }

func (c *ws) raw(kind int, b []byte) { c.Raw(kind, b) }

// expect returns the next frame with one of events, skipping the others
// (presence of other users, receipts, typing...).
func (c *ws) expect(t *testing.T, events ...string) wsFrame {
	t.Helper()
	return c.Expect(t, events...)
}

// quiet fails if a frame with one of events arrives within d.
func (c *ws) quiet(t *testing.T, d time.Duration, events ...string) {
	t.Helper()
	c.Quiet(t, d, events...)
}

// closeCode waits for the socket to end and returns the server's close code.
func (c *ws) closeCode(t *testing.T, within time.Duration) int {
	t.Helper()
	return c.CloseCode(t, within)
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
		// Skips late answers to earlier attempts.
		f := c.ExpectRef(t, clientMsgID, "ack", "error")
		if f.Event == "ack" {
			return jsonOf[chatMessage](t, f.Data)
		}
		e := jsonOf[wsError](t, f.Data)
		if e.Code != "unavailable" || attempt > 10 {
			t.Fatalf("send %s: %+v", clientMsgID, e)
		}
	}
}

type wsError = gatewaytest.ErrorData

func jsonOf[T any](t *testing.T, raw json.RawMessage) T {
	t.Helper()
	return gatewaytest.Decode[T](t, raw)
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
