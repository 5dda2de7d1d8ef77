package scenario

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// fakeGateway speaks just enough of protocol v1 for the load tool: ready,
// join-room (ack), send-message (ack with a seq, then receive-message to
// every joined socket of the room, the sender included). Fakes made by one
// newFakeGateways call share their rooms, like real gateways sharing Redis.
// They let the workloads be tested without the real stack.
type fakeGateway struct {
	srv *httptest.Server
	*fakeBus
	conns int // under fakeBus.mu
}

type fakeBus struct {
	mu    sync.Mutex
	seq   map[string]int64
	rooms map[string]map[*fakeConn]bool
}

type fakeConn struct {
	ws  *websocket.Conn
	wmu sync.Mutex
}

func (c *fakeConn) write(b []byte) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.WriteMessage(websocket.TextMessage, b)
}

func newFakeGateways(t testing.TB, n int) []*fakeGateway {
	bus := &fakeBus{seq: map[string]int64{}, rooms: map[string]map[*fakeConn]bool{}}
	gs := make([]*fakeGateway, n)
	for i := range gs {
		gs[i] = newFakeGateway(t, bus)
	}
	return gs
}

func newFakeGateway(t testing.TB, bus *fakeBus) *fakeGateway {
	g := &fakeGateway{fakeBus: bus}
	mux := http.NewServeMux()
	mux.HandleFunc("/ws", g.serve)
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, _ *http.Request) {
		g.mu.Lock()
		defer g.mu.Unlock()
		fmt.Fprintf(w, "gateway_connections %d\nprocess_resident_memory_bytes %d\n", g.conns, 1000000+g.conns*5000)
	})
	g.srv = httptest.NewServer(mux)
	t.Cleanup(g.srv.Close)
	return g
}

func (g *fakeGateway) wsURL() string { return "ws" + strings.TrimPrefix(g.srv.URL, "http") + "/ws" }

func (g *fakeGateway) serve(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ey") {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	ws, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &fakeConn{ws: ws}
	g.mu.Lock()
	g.conns++
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		g.conns--
		for _, m := range g.rooms {
			delete(m, c)
		}
		g.mu.Unlock()
		ws.Close()
	}()
	c.write([]byte(`{"event":"ready","data":{"userId":"u"}}`))
	for {
		_, b, err := ws.ReadMessage()
		if err != nil {
			return
		}
		var env struct {
			Event string `json:"event"`
			Ref   string `json:"ref"`
			Data  struct {
				RoomID      string `json:"roomId"`
				Content     string `json:"content"`
				ClientMsgID string `json:"clientMsgId"`
			} `json:"data"`
		}
		if json.Unmarshal(b, &env) != nil {
			return
		}
		switch env.Event {
		case "join-room":
			g.mu.Lock()
			if g.rooms[env.Data.RoomID] == nil {
				g.rooms[env.Data.RoomID] = map[*fakeConn]bool{}
			}
			g.rooms[env.Data.RoomID][c] = true
			g.mu.Unlock()
			c.write([]byte(`{"event":"ack","ref":"` + env.Ref + `","data":{"roomId":"` + env.Data.RoomID + `","lastSeq":0}}`))
		case "send-message":
			// Delivering under the lock keeps every room in seq order, as
			// the real gateway does.
			g.mu.Lock()
			g.seq[env.Data.RoomID]++
			seq := g.seq[env.Data.RoomID]
			c.write([]byte(fmt.Sprintf(`{"event":"ack","ref":"%s","data":{"id":"x","roomId":"%s","seq":%d,"timestamp":"t"}}`,
				env.Ref, env.Data.RoomID, seq)))
			content, _ := json.Marshal(env.Data.Content)
			frame := []byte(fmt.Sprintf(`{"event":"receive-message","data":{"id":"x","roomId":"%s","seq":%d,"userId":"u","content":%s,"clientMsgId":"%s","timestamp":"%s"}}`,
				env.Data.RoomID, seq, content, env.Data.ClientMsgID, time.Now().UTC().Format(time.RFC3339)))
			for m := range g.rooms[env.Data.RoomID] {
				m.write(frame)
			}
			g.mu.Unlock()
		}
	}
}
