package wsclient

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestSocketIOMode runs the Socket.IO mode against a tiny server speaking
// the start of Engine.IO/Socket.IO: open, CONNECT with auth, ready, a ping,
// and an ACK per EVENT.
func TestSocketIOMode(t *testing.T) {
	t.Parallel()
	up := websocket.Upgrader{}
	pong := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("EIO") != "4" || r.URL.Query().Get("transport") != "websocket" {
			http.Error(w, "bad", http.StatusBadRequest)
			return
		}
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		_ = ws.WriteMessage(websocket.TextMessage, []byte(`0{"sid":"s","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":65536}`))
		if _, p, err := ws.ReadMessage(); err != nil || string(p) != `40{"token":"tok"}` {
			t.Errorf("CONNECT = %q, %v", p, err)
			return
		}
		_ = ws.WriteMessage(websocket.TextMessage, []byte(`40{"sid":"x"}`))
		_ = ws.WriteMessage(websocket.TextMessage, []byte(`42["ready",{"userId":"u"}]`))
		_ = ws.WriteMessage(websocket.TextMessage, []byte(`2`))
		for {
			_, p, err := ws.ReadMessage()
			if err != nil {
				return
			}
			s := string(p)
			switch {
			case s == "3":
				pong <- s
			case strings.HasPrefix(s, `420["send-message",`):
				_ = ws.WriteMessage(websocket.TextMessage, []byte(`430[{"seq":7}]`))
			case strings.HasPrefix(s, `421["join-room",`):
				_ = ws.WriteMessage(websocket.TextMessage, []byte(`431[{"error":{"code":"not_found","message":"no"}}]`))
				_ = ws.WriteMessage(websocket.TextMessage, []byte(`42["receive-message",{"seq":8}]`))
			}
		}
	}))
	defer srv.Close()
	d := &Dialer{URL: "ws" + strings.TrimPrefix(srv.URL, "http") + "/socket.io/", SocketIO: true, HandshakeTimeout: 5 * time.Second}
	frames := make(chan string, 4)
	c, err := d.Dial(t.Context(), 0, "tok", func(_ *Conn, f []byte, _ time.Time) { frames <- string(f) })
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if string(c.Ready) != `{"event":"ready","data":{"userId":"u"}}` {
		t.Fatalf("ready = %s", c.Ready)
	}
	select {
	case <-pong:
	case <-time.After(5 * time.Second):
		t.Fatal("the Engine.IO ping was not answered")
	}
	_ = c.Send("send-message", "a1", []byte(`{"content":"x"}`))
	_ = c.Send("join-room", "j", []byte(`{"roomId":"r"}`))
	want := []string{
		`{"event":"ack","ref":"a1","data":{"seq":7}}`,
		`{"event":"error","ref":"j","data":{"code":"not_found","message":"no"}}`,
		`{"event":"receive-message","data":{"seq":8}}`,
	}
	for _, w := range want {
		select {
		case f := <-frames:
			if f != w {
				t.Errorf("frame %s, want %s", f, w)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("timed out waiting for %s", w)
		}
	}
}
