package streamcmd

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"
)

// gatedService holds the SendMessages calls of room "stuck" until gate is
// closed and records, per room, the contents in the order they ran.
type gatedService struct {
	noChanges
	gate chan struct{}

	mu    sync.Mutex
	order map[string][]string
}

func (g *gatedService) SendMessages(_ context.Context, sends []Send) []SendOutcome {
	out := make([]SendOutcome, len(sends))
	for i, s := range sends {
		if s.Data.RoomID == "stuck" {
			<-g.gate
		}
		g.mu.Lock()
		g.order[s.Data.RoomID] = append(g.order[s.Data.RoomID], s.Data.Content)
		n := len(g.order[s.Data.RoomID])
		g.mu.Unlock()
		out[i].Ack = SendAck{ID: s.Data.Content, RoomID: s.Data.RoomID, Seq: int64(n), Timestamp: "t"}
	}
	return out
}

func (g *gatedService) JoinRoom(_ context.Context, _ string, d JoinRoomData) (JoinAck, error) {
	return JoinAck{RoomID: d.RoomID}, nil
}

func (g *gatedService) MarkRead(_ context.Context, _ string, d MarkReadData) (MarkReadAck, error) {
	return MarkReadAck(d), nil
}

// A send batch that takes long (a slow commit) holds up neither the
// reading of later commands nor the sends of rooms in another slot, nor
// join-room; its own room's later sends wait for it and keep their order.
func TestReadingDoesNotWaitForASlowBatch(t *testing.T) {
	t.Parallel()
	rdb := newRedis(t)
	// Two rooms in different slots (of two).
	other := ""
	for i := range 100 {
		r := fmt.Sprint("room-", i)
		if slotOf(r, 2) != slotOf("stuck", 2) {
			other = r
			break
		}
	}
	if other == "" {
		t.Fatal("no room in the other slot")
	}
	svc := &gatedService{gate: make(chan struct{}), order: map[string][]string{}}
	runConsumer(t, rdb, svc, Options{Consumer: "api-1", Block: 50 * time.Millisecond, SendSlots: 2})

	send(t, rdb, "stuck-0", CmdSendMessage, `{"roomId":"stuck","content":"0"}`)
	time.Sleep(200 * time.Millisecond) // read and running (held) alone
	send(t, rdb, "stuck-1", CmdSendMessage, `{"roomId":"stuck","content":"1"}`)
	send(t, rdb, "other", CmdSendMessage, fmt.Sprintf(`{"roomId":%q,"content":"x"}`, other))
	send(t, rdb, "join", CmdJoinRoom, `{"roomId":"stuck"}`)
	send(t, rdb, "stuck-2", CmdSendMessage, `{"roomId":"stuck","content":"2"}`)
	got := replies(t, rdb, 2)
	if !got["other"].OK || !got["join"].OK {
		t.Fatalf("while a batch is held, got %+v; want the other room's send and the join answered", got)
	}
	if _, ok := got["stuck-1"]; ok {
		t.Fatal("a send of the held room was answered before the held one")
	}
	close(svc.gate)
	got = replies(t, rdb, 5)
	for i := range 3 {
		var ack SendAck
		if r := got[fmt.Sprint("stuck-", i)]; !r.OK || json.Unmarshal(r.Data, &ack) != nil || ack.Seq != int64(i+1) {
			t.Errorf("stuck-%d reply = %+v (%s), want seq %d", i, r, r.Data, i+1)
		}
	}
	svc.mu.Lock()
	defer svc.mu.Unlock()
	if fmt.Sprint(svc.order["stuck"]) != "[0 1 2]" {
		t.Errorf("room order = %v, want [0 1 2]", svc.order["stuck"])
	}
	waitPending(t, rdb, 0)
}

// A consumer reads no more than MaxInFlight entries ahead of its answers,
// so that a stuck instance leaves the rest of the stream to the others.
func TestReadingPausesAtMaxInFlight(t *testing.T) {
	t.Parallel()
	rdb := newRedis(t)
	svc := &gatedService{gate: make(chan struct{}), order: map[string][]string{}}
	runConsumer(t, rdb, svc, Options{Consumer: "api-1", Block: 50 * time.Millisecond, Batch: 2, MaxInFlight: 3})
	for i := range 10 {
		send(t, rdb, fmt.Sprint("s", i), CmdSendMessage, fmt.Sprintf(`{"roomId":"stuck","content":"%d"}`, i))
	}
	time.Sleep(300 * time.Millisecond)
	p, err := rdb.XPending(context.Background(), CommandStream, CommandGroup).Result()
	if err != nil || p.Count != 3 {
		t.Fatalf("pending = %+v, %v; want 3 read while the first batch is held", p, err)
	}
	close(svc.gate)
	replies(t, rdb, 10)
	waitPending(t, rdb, 0)
}
