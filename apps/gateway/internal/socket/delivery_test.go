package socket

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/apps/gateway/internal/protocol"
	"github.com/chatforge/chat/apps/gateway/internal/streams"
	"github.com/chatforge/chat/modules/messaging"
)

// TestJoinDuringLiveTraffic: a member joins with lastSeq while messages keep
// coming; the replay and the live stream must join without a gap or a
// duplicate.
func TestJoinDuringLiveTraffic(t *testing.T) {
	e := newEnv(t, 2, func(c *Config) { c.ReplayMax = 1000 })
	alice, bob := e.user(t), e.user(t)
	room := e.room(t, "private", alice.ID, bob.ID)
	ca := e.dial(t, 0, alice.Token)
	ca.send("join-room", "", map[string]any{"roomId": room})
	ca.expect(t, "ack")

	const total = 150
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range total {
			ca.send("send-message", "", map[string]any{"roomId": room, "content": fmt.Sprint("m", i), "clientMsgId": fmt.Sprint("c", i)})
			ca.expect(t, "ack")
		}
	})
	time.Sleep(150 * time.Millisecond) // some messages are stored before the join
	cb := e.dial(t, 1, bob.Token)
	cb.send("join-room", "j", map[string]any{"roomId": room, "lastSeq": 0})
	wg.Wait()
	var next int64 = 1
	acked := false
	for next <= total {
		f := cb.expect(t, "receive-message", "ack")
		if f.Event == "ack" {
			a := decode[map[string]any](t, f.Data)
			if a["recovered"] != true || int64(a["lastSeq"].(float64)) != next-1 {
				t.Fatalf("join ack %v after seq %d", a, next-1)
			}
			acked = true
			continue
		}
		m := decode[message](t, f.Data)
		if m.Seq != next {
			t.Fatalf("got seq %d, want %d (acked=%v)", m.Seq, next, acked)
		}
		next++
	}
	if !acked {
		t.Error("no join ack")
	}
	cb.quiet(t, 200*time.Millisecond, "receive-message")
}

// TestReplayBound: a gap beyond REPLAY_MAX sends the newest REPLAY_MAX
// messages and recovered=false.
func TestReplayBound(t *testing.T) {
	e := newEnv(t, 1, func(c *Config) { c.ReplayMax = 5 })
	a := e.user(t)
	room := e.room(t, "public", a.ID)
	c := e.dial(t, 0, a.Token)
	c.send("join-room", "", map[string]any{"roomId": room})
	c.expect(t, "ack")
	for i := range 8 {
		c.send("send-message", "", map[string]any{"roomId": room, "content": fmt.Sprint(i)})
		c.expect(t, "ack")
	}
	c2 := e.dial(t, 0, a.Token)
	c2.send("join-room", "", map[string]any{"roomId": room, "lastSeq": 1})
	for want := int64(4); want <= 8; want++ {
		if m := decode[message](t, c2.expect(t, "receive-message", "ack").Data); m.Seq != want {
			t.Fatalf("replayed %d, want %d", m.Seq, want)
		}
	}
	if ack := decode[map[string]any](t, c2.expect(t, "ack").Data); ack["recovered"] != false || ack["lastSeq"] != 8.0 {
		t.Errorf("ack = %v, want recovered false, lastSeq 8", ack)
	}
}

// TestSlowClientDropped: a client that stops reading is dropped once its
// buffer is full; the others get every frame.
func TestSlowClientDropped(t *testing.T) {
	e := newEnv(t, 1, func(c *Config) { c.SendBuffer = 16; c.MaxFrameBytes = 512 })
	fast := e.dial(t, 0, e.user(t).Token)
	slow := e.user(t)
	u := "ws" + strings.TrimPrefix(e.gws[0].srv.URL, "http") + "/ws?access_token=" + slow.Token
	sc, _, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	waitConns(t, e.gws[0].g, 2)
	// Big frames fill the socket buffers quickly; a pace the fast client
	// keeps up with (a burst beyond the buffer would drop it too).
	content := strings.Repeat("x", 32<<10)
	stream := messaging.RoomStream(protocol.GlobalRoomID, 2)
	const n = 400
	go func() {
		for seq := 1; seq <= n; seq++ {
			data := fmt.Sprintf(`{"id":"m%d","roomId":%q,"seq":%d,"userId":"u","content":%q,"timestamp":"2024-01-01T00:00:00.000Z"}`, seq, protocol.GlobalRoomID, seq, content)
			e.rdb.XAdd(context.Background(), &redis.XAddArgs{Stream: stream, Values: []any{
				"id", fmt.Sprint("ev", seq), "type", messaging.EventMessageCreated, "room", protocol.GlobalRoomID, "data", data}})
			time.Sleep(time.Millisecond)
		}
	}()
	for want := int64(1); want <= n; want++ {
		if m := decode[message](t, fast.expect(t, "receive-message").Data); m.Seq != want {
			t.Fatalf("fast client got %d, want %d", m.Seq, want)
		}
	}
	waitConns(t, e.gws[0].g, 1)
}

func waitConns(t *testing.T, g *Gateway, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for g.Connections() != n {
		if time.Now().After(deadline) {
			t.Fatalf("connections = %d, want %d", g.Connections(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestDrain: stopping a gateway closes its sockets with 1001 and its
// users go offline.
func TestDrain(t *testing.T) {
	e := newEnv(t, 2, nil)
	a, b := e.user(t), e.user(t)
	shared := e.room(t, "private", a.ID, b.ID) // presence needs a shared room
	watcher := e.dial(t, 1, a.Token)
	joinOK(t, watcher, shared)
	c := e.dial(t, 0, b.Token)
	joinOK(t, c, shared)
	waitPresence(t, watcher, b.ID, "online")
	e.gws[0].stop()
	if code := c.closeCode(t); code != protocol.CloseGoingAway {
		t.Errorf("close code = %d, want 1001", code)
	}
	waitPresence(t, watcher, b.ID, "offline")
	<-e.gws[0].done
	if _, err := e.tryDial(0, b.Token); err == nil {
		t.Error("a stopped gateway accepted a socket")
	}
}

// TestFanoutAbsorbsQueuedMessages: message events queued while a room's
// fan-out runs join it (hub.DeliverMessages via absorb); an event of
// another room and a duplicate of the relay in between change nothing:
// every socket gets each message once, in seq order.
func TestFanoutAbsorbsQueuedMessages(t *testing.T) {
	e := newEnv(t, 1, func(c *Config) { c.GlobalHold, c.DirectWrites = time.Millisecond, true }) // WS_DIRECT_WRITES covered here
	g := e.gws[0].g
	const sockets, msgs = 80, 30
	clients := make([]*wsClient, sockets)
	for i := range clients {
		clients[i] = e.dial(t, 0, e.user(t).Token)
	}
	time.Sleep(50 * time.Millisecond) // the implicit joins' holds end
	data := `{"id":"m%d","roomId":"` + protocol.GlobalRoomID + `","seq":%d,"userId":"u","content":"c%d","timestamp":"2024-01-01T00:00:00.000Z"}`
	for seq := 1; seq <= msgs; seq++ {
		g.queueEvent(streams.Entry{StreamID: "1-0", ID: fmt.Sprint("absorb-", seq), Type: messaging.EventMessageCreated,
			Room: protocol.GlobalRoomID, Data: fmt.Sprintf(data, seq, seq, seq)})
		switch seq {
		case 10: // the relay's duplicate
			g.queueEvent(streams.Entry{StreamID: "1-0", ID: "absorb-10", Type: messaging.EventMessageCreated,
				Room: protocol.GlobalRoomID, Data: fmt.Sprintf(data, seq, seq, seq)})
		case 20: // a room nobody here joined
			g.queueEvent(streams.Entry{StreamID: "1-0", ID: "other-20", Type: messaging.EventMessageCreated,
				Room: "00000000-0000-0000-0000-00000000000f", Data: fmt.Sprintf(data, 1, 1, 1)})
		}
	}
	for i, c := range clients {
		for want := int64(1); want <= msgs; want++ {
			if m := decode[message](t, c.expect(t, "receive-message").Data); m.Seq != want {
				t.Fatalf("socket %d: seq %d, want %d", i, m.Seq, want)
			}
		}
	}
	clients[0].quiet(t, 100*time.Millisecond, "receive-message")
}
