package presence

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"github.com/chatforge/chat/platform/testenv"
)

// TestHeartbeatAfterDisconnectDoesNotFlap is the gateway's race, on real
// Redis: the heartbeat lists the local connections, one of them closes
// (Disconnect announces offline), then the heartbeat runs with the list.
// The user must stay offline: no second "online", no lease left behind.
func TestHeartbeatAfterDisconnectDoesNotFlap(t *testing.T) {
	t.Parallel()
	rdb := testenv.RedisClient(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	m, err := New(Deps{Redis: rdb, Config: Config{TTL: 3 * time.Second, KeyPrefix: "p" + id, EventsChannel: "ev:" + id, TypingChannel: "ty:" + id}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ps := rdb.Subscribe(ctx, "ev:"+id)
	t.Cleanup(func() { _ = ps.Close() })
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	events := ps.Channel()
	next := func() string {
		t.Helper()
		select {
		case msg := <-events:
			e, err := DecodeEvent([]byte(msg.Payload))
			if err != nil {
				t.Fatal(err)
			}
			if e.Online {
				return e.UserID + " online"
			}
			return e.UserID + " offline"
		case <-time.After(300 * time.Millisecond):
			return ""
		}
	}

	alive, closing := Conn{UserID: "u1", ConnID: "c1"}, Conn{UserID: "u2", ConnID: "c2"}
	for _, c := range []Conn{alive, closing} {
		if err := m.Connect(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	listed := []Conn{alive, closing} // what the heartbeat collected
	if err := m.Disconnect(ctx, closing); err != nil {
		t.Fatal(err)
	}
	if err := m.Heartbeat(ctx, listed); err != nil {
		t.Fatal(err)
	}
	var got []string
	for e := next(); e != ""; e = next() {
		got = append(got, e)
	}
	if want := []string{"u1 online", "u2 online", "u2 offline"}; len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("events %q, want %q", got, want)
	}
	if p, _ := m.Status(ctx, "u2"); p.Online {
		t.Error("u2 online after its only connection closed")
	}
	if p, _ := m.Status(ctx, "u1"); !p.Online {
		t.Error("u1 offline while connected")
	}
}
