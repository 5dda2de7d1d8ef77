package redis_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/redis/go-redis/v9"

	redisadapter "github.com/chatforge/chat/modules/messaging/internal/adapters/redis"
	"github.com/chatforge/chat/modules/messaging/internal/domain"
	"github.com/chatforge/chat/platform/testenv"
)

func client(t *testing.T) *redis.Client {
	rdb := testenv.RedisClient(t)
	return rdb
}

func records(n int) []domain.Record {
	recs := make([]domain.Record, n)
	for i := range recs {
		recs[i] = domain.Record{OutboxID: int64(i + 1), EventID: fmt.Sprintf("e%d", i), Type: domain.EventMessageCreated,
			RoomID: []string{"a", "b"}[i%2], Data: []byte(`{}`)}
	}
	return recs
}

func key(room string) string { return "t:events:{" + room + "}" }

// A publisher that may follow a partial or uncommitted publish (it starts
// suspicious) skips what the streams already hold.
func TestRetryAfterPartialPublishAddsNoDuplicate(t *testing.T) {
	rdb := client(t)
	recs := records(6)
	if err := redisadapter.New(rdb, key, 1000).Publish(t.Context(), recs[:3]); err != nil {
		t.Fatal(err)
	}
	p := redisadapter.New(rdb, key, 1000)
	if err := p.Publish(t.Context(), recs); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, room := range []string{"a", "b"} {
		entries, err := rdb.XRange(t.Context(), key(room), "-", "+").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			got = append(got, e.Values["id"].(string))
			if e.Values["room"] != room || e.Values["type"] != "message.created" || e.Values["data"] != "{}" {
				t.Errorf("entry %v", e.Values)
			}
		}
	}
	if fmt.Sprint(got) != "[e0 e2 e4 e1 e3 e5]" {
		t.Errorf("stream ids %v, want each event once, in order per room", got)
	}
	// Healthy from now on: no tail reads, plain appends.
	if err := p.Publish(t.Context(), records(1)); err != nil {
		t.Fatal(err)
	}
	if n := rdb.XLen(t.Context(), key("a")).Val(); n != 4 {
		t.Errorf("after a healthy publish, stream a has %d entries, want 4", n)
	}
}

// breakXAdd makes the XADD of one event id unknown to Redis (rejected when
// queued, as OOM is) the first time it is sent.
type breakXAdd struct{ eventID string }

func (h *breakXAdd) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *breakXAdd) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return next
}
func (h *breakXAdd) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, c := range cmds {
			args := c.Args()
			if h.eventID != "" && c.Name() == "xadd" && slices.Contains(args, any(h.eventID)) {
				args[0] = "xadd-broken"
				h.eventID = ""
			}
		}
		return next(ctx, cmds)
	}
}

// One XADD of a batch fails (rejected, as on OOM) while the later ones of
// its stream would succeed: the retry must still leave every stream in
// order.
func TestPartialFailureKeepsOrder(t *testing.T) {
	rdb := client(t)
	recs := records(6)
	p := redisadapter.New(rdb, key, 1000)
	if err := p.Publish(t.Context(), nil); err != nil { // clears the start-up suspicion
		t.Fatal(err)
	}
	rdb.AddHook(&breakXAdd{eventID: "e2"})
	if err := p.Publish(t.Context(), recs); err == nil {
		t.Fatal("publish with a failed XADD succeeded")
	}
	if err := p.Publish(t.Context(), recs); err != nil {
		t.Fatal(err)
	}
	for room, want := range map[string]string{"a": "[e0 e2 e4]", "b": "[e1 e3 e5]"} {
		entries, err := rdb.XRange(t.Context(), key(room), "-", "+").Result()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range entries {
			got = append(got, e.Values["id"].(string))
		}
		if fmt.Sprint(got) != want {
			t.Errorf("stream %s = %v, want %s", room, got, want)
		}
	}
}
