package redis_test

import (
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"

	redisadapter "github.com/chatforge/chat/modules/messaging/internal/adapters/redis"
	"github.com/chatforge/chat/modules/messaging/internal/domain"
	"github.com/chatforge/chat/platform/testenv"
)

func client(t *testing.T) *redis.Client {
	opts, err := redis.ParseURL(testenv.Redis(t))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { _ = rdb.Close() })
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
