package e2e

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestGatewayResume: clients resume with lastSeq after their own
// disconnect, after their gateway is killed with SIGKILL mid-stream and
// after a drain (SIGTERM, close 1001); nothing is missed or duplicated, and
// a killed gateway's users go offline within the presence TTL.
func TestGatewayResume(t *testing.T) {
	s, gws := newGatewayStack(t, 2, 2)
	c := s.Client(t)
	sender, reader, watcher := newChat(t, s, c), newChat(t, s, c), newChat(t, s, c)
	room := sender.createRoom("private", reader.a.ID).ID
	ws0 := connect(t, gws[0].WS(), sender.a.AccessToken)
	ws0.join(t, room, -1)
	watch := connect(t, gws[0].WS(), watcher.a.AccessToken)

	t.Run("after a client disconnect", func(t *testing.T) {
		r := connect(t, gws[1].WS(), reader.a.AccessToken)
		r.join(t, room, 0)
		for i := range 3 {
			ws0.sendMessage(t, room, fmt.Sprint("live ", i), fmt.Sprint("d", i))
		}
		inOrder(t, "reader", r.collect(t, room, 3), 1)
		r.conn.Close()
		for i := range 4 {
			ws0.sendMessage(t, room, fmt.Sprint("missed ", i), fmt.Sprint("m", i))
		}
		r = connect(t, gws[0].WS(), reader.a.AccessToken)
		ack, replayed := r.join(t, room, 3)
		inOrder(t, "replay", replayed, 4)
		if len(replayed) != 4 || ack["lastSeq"] != 7.0 || ack["recovered"] != true {
			t.Errorf("resume: %d replayed, ack %v", len(replayed), ack)
		}
		ws0.sendMessage(t, room, "after resume", "ar")
		inOrder(t, "live after resume", r.collect(t, room, 1), 8)
	})

	t.Run("after a gateway SIGKILL mid-stream", func(t *testing.T) {
		r := connect(t, gws[1].WS(), reader.a.AccessToken)
		_, replayed := r.join(t, room, 8)
		if len(replayed) != 0 {
			t.Fatalf("replayed %d, want 0", len(replayed))
		}
		// A user whose only socket is on the gateway about to die, in a
		// room shared with the watcher (presence goes to shared rooms).
		victim := newChat(t, s, c)
		shared := watcher.createRoom("private", victim.a.ID).ID
		watch.join(t, shared, -1)
		vw := connect(t, gws[1].WS(), victim.a.AccessToken)
		vw.join(t, shared, -1)
		watch.waitPresence(t, victim.a.ID, "online")
		const total = 60
		var wg sync.WaitGroup
		wg.Go(func() {
			for i := range total {
				ws0.sendMessage(t, room, fmt.Sprint("stream ", i), fmt.Sprint("k", i))
			}
		})
		got := r.collect(t, room, 10)
		gws[1].Kill()
		r.closeCode(t, 5*time.Second)
		// What the client saw before the crash, then a resume elsewhere.
		for f := range r.frames {
			if f.Event == "receive-message" {
				got = append(got, jsonOf[chatMessage](t, f.Data))
			}
		}
		last := got[len(got)-1].Seq
		r2 := connect(t, gws[0].WS(), reader.a.AccessToken)
		_, replayed = r2.join(t, room, last)
		got = append(got, replayed...)
		wg.Wait()
		end := int64(8 + total)
		if have := got[len(got)-1].Seq; have < end {
			got = append(got, r2.collect(t, room, int(end-have))...)
		}
		inOrder(t, "reader across the crash", got, 9)
		// The killed gateway said no goodbye: its lease expires (3s TTL).
		start := time.Now()
		watch.waitPresence(t, victim.a.ID, "offline")
		if el := time.Since(start); el > 8*time.Second {
			t.Errorf("offline %s after the crash, want within TTL + sweep", el)
		}
		r2.conn.Close()
	})

	t.Run("after a drain", func(t *testing.T) {
		g := startGateway(t, s, "gateway-2", nil)
		r := connect(t, g.WS(), reader.a.AccessToken)
		r.join(t, room, int64(8+60))
		ws0.sendMessage(t, room, "before drain", "bd")
		inOrder(t, "before drain", r.collect(t, room, 1), 69)
		g.Stop()
		if code := r.closeCode(t, 10*time.Second); code != 1001 {
			t.Errorf("close code on drain = %d, want 1001", code)
		}
		ws0.sendMessage(t, room, "during drain", "dd")
		r = connect(t, gws[0].WS(), reader.a.AccessToken)
		_, replayed := r.join(t, room, 69)
		inOrder(t, "after drain", replayed, 70)
		if len(replayed) != 1 {
			t.Errorf("replayed %d after drain, want 1", len(replayed))
		}
	})
}

// TestGatewayAPIKilled: an api process is killed with SIGKILL while
// messages flow; clients resend what was not acked (same clientMsgId), and
// every acked message is stored once and delivered once, in order.
func TestGatewayAPIKilled(t *testing.T) {
	s, gws := newGatewayStack(t, 2, 2)
	c := s.Client(t)
	a, b := newChat(t, s, c), newChat(t, s, c)
	room := a.createRoom("private", b.a.ID).ID
	wa := connect(t, gws[0].WS(), a.a.AccessToken)
	wb := connect(t, gws[1].WS(), b.a.AccessToken)
	wa.join(t, room, -1)
	wb.join(t, room, -1)

	const total = 80
	acked := make(chan chatMessage, total)
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range total {
			acked <- wa.sendMessage(t, room, fmt.Sprint("m", i), fmt.Sprint("c", i))
		}
		close(acked)
	})
	time.Sleep(150 * time.Millisecond)
	s.APIs[1].Kill()
	wg.Wait()
	seen := map[int64]bool{}
	for m := range acked {
		if seen[m.Seq] {
			t.Errorf("seq %d acked twice", m.Seq)
		}
		seen[m.Seq] = true
	}
	got := wb.collect(t, room, total)
	inOrder(t, "receiver", got, 1)
	wb.quiet(t, 500*time.Millisecond, "receive-message")
	if stored := a.history(room, qs("limit", "100")).Items; len(stored) != total {
		t.Errorf("history holds %d messages, want %d", len(stored), total)
	}
}
