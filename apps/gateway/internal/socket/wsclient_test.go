package socket

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatforge/chat/apps/gateway/gatewaytest"
)

type frame = gatewaytest.Frame

// wsClient is a test socket (gatewaytest.Client): a reader goroutine
// collects frames and the close code.
type wsClient struct {
	*gatewaytest.Client
	conn   *websocket.Conn
	frames <-chan frame
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
	c, status, err := gatewaytest.Dial(u, token, gatewaytest.Options{Buffer: 4096, Timeout: 10 * time.Second})
	if err != nil {
		if status != 0 {
			return nil, fmt.Errorf("status %d: %w", status, err)
		}
		return nil, err
	}
	return &wsClient{Client: c, conn: c.Conn, frames: c.Frames}, nil
}

func (c *wsClient) send(event, ref string, data any) { c.Send(event, ref, data) }

func (c *wsClient) raw(b []byte) { c.Raw(websocket.TextMessage, b) }

// expect returns the next frame whose event is one of events, skipping
// others (presence and typing of other tests' users, receipts...).
func (c *wsClient) expect(t *testing.T, events ...string) frame {
	t.Helper()
	return c.Expect(t, events...)
}

// quiet fails if a frame of one of events arrives within d.
func (c *wsClient) quiet(t *testing.T, d time.Duration, events ...string) {
	t.Helper()
	c.Quiet(t, d, events...)
}

// closeCode waits for the server to close the socket and returns the code.
func (c *wsClient) closeCode(t *testing.T) int {
	t.Helper()
	return c.CloseCode(t, 10*time.Second)
}

func decode[T any](t *testing.T, raw json.RawMessage) T {
	t.Helper()
	return gatewaytest.Decode[T](t, raw)
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

type errData = gatewaytest.ErrorData
