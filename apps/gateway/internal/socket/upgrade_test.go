package socket

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/chatforge/chat/apps/gateway/gatewaytest"
)

// TestHandlerReturnsAfterUpgrade: the HTTP handler of /ws returns once the
// socket is upgraded, so net/http and gin free their per-request state,
// and the socket keeps working afterwards (the request's context, cancelled
// by then, is not the socket's). A failed handshake is still answered by
// the handler.
func TestHandlerReturnsAfterUpgrade(t *testing.T) {
	e := newEnv(t, 1, nil)
	g := e.gws[0].g
	returned := make(chan int, 4) // status of each finished /ws request
	r := gin.New()
	r.Use(func(c *gin.Context) {
		c.Next()
		returned <- c.Writer.Status()
	})
	g.Routes(r)
	srv := httptest.NewServer(r)
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws"

	a, b := e.user(t), e.user(t)
	room := e.room(t, "private", a.ID, b.ID)
	c, _, err := gatewaytest.Dial(url, a.Token, gatewaytest.Options{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Conn.Close()
	c.Expect(t, "ready")
	select {
	case <-returned:
	case <-time.After(10 * time.Second):
		t.Fatal("the /ws handler is still running while the socket is open")
	}

	// The socket works after its handler returned: a command answered,
	// then a frame fanned out from another socket.
	c.Send("join-room", "j", map[string]any{"roomId": room})
	c.Expect(t, "ack")
	other := e.dial(t, 0, b.Token)
	other.send("join-room", "j", map[string]any{"roomId": room})
	other.expect(t, "ack")
	other.send("send-message", "m", map[string]any{"roomId": room, "content": "after the handler", "clientMsgId": "h-1"})
	other.expect(t, "ack")
	if got := decode[message](t, c.Expect(t, "receive-message").Data); got.Content != "after the handler" {
		t.Errorf("received %+v", got)
	}
	if n := g.Connections(); n != 2 {
		t.Errorf("connections = %d, want 2", n)
	}

	// A request that is not a WebSocket handshake gets melody's answer.
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/ws", nil)
	req.Header.Set("Authorization", "Bearer "+a.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("plain GET /ws = %d, want 400", resp.StatusCode)
	}
	select {
	case st := <-returned:
		if st != http.StatusBadRequest {
			t.Errorf("handler finished with %d, want 400", st)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the /ws handler of a failed handshake did not return")
	}

	// Closing the socket still runs the disconnect.
	_ = c.Conn.Close()
	waitConns(t, g, 1)
}
