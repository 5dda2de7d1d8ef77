package socket

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatforge/chat/apps/gateway/internal/protocol"
	"github.com/chatforge/chat/apps/gateway/internal/streams"
	"github.com/chatforge/chat/modules/messaging"
)

// BenchmarkFanoutSockets measures the fan-out path end to end on real
// sockets: one message event (as read from the stream) is decoded, framed
// once and queued to N local WebSocket connections joined to its room, and
// the iteration ends when every client has read it. ns/op is the latency
// of one event to all N; ns/delivery divides by N; ns/first is the
// latency of the earliest copy (issue 18's "first copy"). (The hub alone is
// measured by hub.BenchmarkFanout.)
//
// transport=sio is the same over Socket.IO's websocket transport (each
// frame translated to an EVENT packet).
func BenchmarkFanoutSockets(b *testing.B) {
	for _, tr := range []string{"ws", "sio"} {
		for _, n := range []int{10, 100, 1000} {
			b.Run(fmt.Sprintf("transport=%s/sockets=%d", tr, n), func(b *testing.B) {
				benchFanout(b, n, tr == "sio")
			})
		}
	}
}

// dialSIO opens a Socket.IO connection over the websocket transport and
// returns once its CONNECT is accepted; read then yields each Socket.IO
// packet (Engine.IO pings are answered).
func dialSIO(b *testing.B, base, token string) *websocket.Conn {
	u := "ws" + strings.TrimPrefix(base, "http") + "/socket.io/?EIO=4&transport=websocket"
	conn, _, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, open, err := conn.ReadMessage(); err != nil || len(open) == 0 || open[0] != '0' {
		b.Fatalf("engine.io open: %q %v", open, err)
	}
	if err := conn.WriteMessage(websocket.TextMessage, []byte(`40{"token":"`+token+`"}`)); err != nil {
		b.Fatal(err)
	}
	if _, ok, err := conn.ReadMessage(); err != nil || !strings.HasPrefix(string(ok), "40") {
		b.Fatalf("socket.io connect: %q %v", ok, err)
	}
	return conn
}

func benchFanout(b *testing.B, n int, sio bool) {
	// The clients never speak: no hold of the global room worth waiting for.
	e := newEnv(b, 1, func(c *Config) { c.GlobalHold = time.Millisecond })
	g := e.gws[0].g
	got := make(chan time.Time, n)
	for range n {
		a := e.user(b)
		var conn *websocket.Conn
		prefix := `{"event":"receive-message"`
		if sio {
			conn, prefix = dialSIO(b, e.gws[0].srv.URL, a.Token), `42["receive-message"`
		} else {
			u := "ws" + strings.TrimPrefix(e.gws[0].srv.URL, "http") + "/ws?access_token=" + a.Token
			var err error
			if conn, _, err = websocket.DefaultDialer.Dial(u, nil); err != nil {
				b.Fatal(err)
			}
		}
		b.Cleanup(func() { conn.Close() })
		go func() {
			for {
				_, msg, err := conn.ReadMessage()
				if err != nil {
					return
				}
				switch {
				case strings.HasPrefix(string(msg), prefix):
					got <- time.Now()
				case string(msg) == "2": // engine.io ping
					_ = conn.WriteMessage(websocket.TextMessage, []byte("3"))
				}
			}
		}()
	}
	for g.Connections() != n {
		time.Sleep(10 * time.Millisecond)
	}
	data := `{"id":"0b6a1c2e-3d4f-4a5b-8c7d-9e0f1a2b3c4d","roomId":"` + protocol.GlobalRoomID +
		`","seq":%d,"userId":"0b6a1c2e-3d4f-4a5b-8c7d-9e0f1a2b3c4e","content":"hello there, how is it going?","timestamp":"2024-01-01T00:00:00.000Z"}`
	b.ReportAllocs()
	b.ResetTimer()
	seq := 0
	var first time.Duration
	for b.Loop() {
		seq++
		start := time.Now()
		// Called on the benchmark goroutine: the gateway's own event reader
		// is idle (nothing is appended to the streams), so it never runs
		// onEvent concurrently.
		g.onEvent(streams.Entry{StreamID: "1-0", ID: fmt.Sprint("ev", seq), Type: messaging.EventMessageCreated,
			Room: protocol.GlobalRoomID, Data: fmt.Sprintf(data, seq)})
		earliest := <-got
		for range n - 1 {
			if at := <-got; at.Before(earliest) {
				earliest = at
			}
		}
		first += earliest.Sub(start)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/delivery")
	b.ReportMetric(float64(first.Nanoseconds())/float64(b.N), "ns/first")
}
