package messaging_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/modules/messaging"
	"github.com/chatforge/chat/platform/testenv"
)

// One socket send through the api records each of its hops: the command's
// wait (from the gateway's send timestamp), the batch stored, and the event
// published (from the timestamp of its transaction), and the event entry
// carries that timestamp for the gateways.
func TestHopMetrics(t *testing.T) {
	db := openDB(t)
	rdb := redisClient(t, testenv.Redis(t))
	reg := prometheus.NewRegistry()
	mod, err := messaging.New(messaging.Deps{DB: db, Redis: rdb, Log: quiet, Metrics: reg})
	if err != nil {
		t.Fatal(err)
	}
	a := addUser(t, db)
	ctx := t.Context()
	data, _ := json.Marshal(messaging.SendMessageData{RoomID: messaging.GlobalRoomID, Content: "hi"})
	cmd := messaging.Command{ID: "1", Type: messaging.CmdSendMessage, UserID: a, SessionID: "s", Reply: "chat:replies:t", Ref: "1",
		Data: data, SentAt: time.Now()}
	if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: messaging.CommandStream, Values: cmd.Values()}).Err(); err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { _ = mod.RunCommands(runCtx, rdb, messaging.CommandOptions{Consumer: "api-t"}) })
	wg.Go(func() { _ = mod.RunRelay(runCtx) })
	t.Cleanup(func() { cancel(); wg.Wait() })

	stream := messaging.RoomStream(messaging.GlobalRoomID, 4)
	var ev messaging.Event
	for deadline := time.Now().Add(10 * time.Second); ev.ID == ""; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no event published")
		}
		res, err := rdb.XRange(ctx, stream, "-", "+").Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(res) > 0 {
			if ev, err = messaging.DecodeEvent(res[0].Values); err != nil {
				t.Fatal(err)
			}
		}
	}
	if ev.RecordedAt.IsZero() || ev.RecordedAt.After(time.Now()) || ev.Message == nil {
		t.Errorf("event %+v: want a message with its recording time", ev)
	}
	for _, name := range []string{"chat_command_wait_seconds", "chat_send_batch_seconds", "chat_event_publish_seconds"} {
		var n uint64
		for deadline := time.Now().Add(5 * time.Second); n == 0 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			n = observations(t, reg, name)
		}
		if n == 0 {
			t.Errorf("%s recorded nothing", name)
		}
	}
}

// observations is how many values the histogram name (every label set) holds.
func observations(t *testing.T, reg *prometheus.Registry, name string) uint64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	for _, f := range families {
		if f.GetName() == name {
			for _, m := range f.GetMetric() {
				n += m.GetHistogram().GetSampleCount()
			}
		}
	}
	return n
}
