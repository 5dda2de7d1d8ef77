package redis_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
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
	testRetryAfterPartialPublish(t, client(t))
}

// The same on a Redis Cluster, where the two rooms' streams are in
// different hash slots (one transaction each).
func TestPublishOnRedisCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis Cluster")
	}
	testRetryAfterPartialPublish(t, testenv.StartRedisCluster(t, 3).Client(t))
}

func testRetryAfterPartialPublish(t *testing.T, rdb redis.UniversalClient) {
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

// breakXAdd makes the append of one event id fail inside the script the
// first time it is sent: its seq argument is replaced by one that sends the
// script to a GET on the stream key, which Redis refuses (WRONGTYPE). The
// entries before it in the call are appended, the later ones are not, as
// with any error in the middle of a script (Redis does not roll back).
type breakXAdd struct{ eventID string }

func (h *breakXAdd) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *breakXAdd) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, c redis.Cmder) error {
		args := c.Args()
		i := slices.Index(args, any(h.eventID))
		if h.eventID == "" || i < 4 || (c.Name() != "evalsha" && c.Name() != "eval") {
			return next(ctx, c)
		}
		args[i-4] = "broken" // the entry's seq: seq, start, field count, "id", event id
		err := next(ctx, c)
		if err == nil || !strings.HasPrefix(err.Error(), "NOSCRIPT") {
			h.eventID = "" // it ran (and failed); go-redis resends an unknown script with EVAL
		}
		return err
	}
}
func (h *breakXAdd) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// One append of a batch fails after the earlier ones were appended: the retry must still leave every stream in
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
		if got := streamIDs(t, rdb, room); fmt.Sprint(got) != want {
			t.Errorf("stream %s = %v, want %s", room, got, want)
		}
	}
}

// Messages of a room published by several processes in any order, and
// again by the relay, reach the stream in seq order, each once: one
// beyond the next waits for its predecessor.
func TestSequencedMessagesInSeqOrderOnce(t *testing.T) {
	testSequenced(t, client(t))
}

func TestSequencedMessagesOnRedisCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis Cluster")
	}
	testSequenced(t, testenv.StartRedisCluster(t, 3).Client(t))
}

func testSequenced(t *testing.T, rdb redis.UniversalClient) {
	msg := func(room string, seq int64) domain.Record {
		return domain.Record{EventID: fmt.Sprintf("%s%d", room, seq), Type: domain.EventMessageCreated, RoomID: room, Data: []byte(`{}`), Seq: seq}
	}
	other := domain.Record{EventID: "u1", Type: domain.EventMessageUpdated, RoomID: "a", Data: []byte(`{}`)}
	api1, api2, relay := redisadapter.New(rdb, key, 1000), redisadapter.New(rdb, key, 1000), redisadapter.New(rdb, key, 1000)
	for _, p := range []*redisadapter.Publisher{api1, api2, relay} {
		if err := p.Publish(t.Context(), nil); err != nil { // clears the start-up suspicion
			t.Fatal(err)
		}
	}
	steps := []struct {
		p      *redisadapter.Publisher
		recs   []domain.Record
		starts map[string]int64
		want   map[string]string
		pubs   string // domain.Publication of each record, if checked
	}{
		// A room the streams do not know yet: a committer starts it at seq
		// 1 only, or where told (the lowest seq not yet published); the
		// relay, which publishes in commit order, starts it anywhere.
		{api1, []domain.Record{msg("a", 3), msg("b", 1)}, nil, map[string]string{"a": "[]", "b": "[b1]"}, "[3 0]"},
		{api1, []domain.Record{msg("a", 3)}, map[string]int64{"a": 2}, map[string]string{"a": "[]"}, "[2]"},
		{relay, []domain.Record{msg("a", 2)}, nil, map[string]string{"a": "[a2 a3]"}, ""},
		{api1, []domain.Record{msg("a", 4)}, nil, map[string]string{"a": "[a2 a3 a4]"}, "[0]"},
		// 6 before 5 (two apis committed 5 then 6, the second published
		// first): parked; an unsequenced event goes through.
		{api2, []domain.Record{msg("a", 6), other}, nil, map[string]string{"a": "[a2 a3 a4 u1]"}, "[2 0]"},
		{api2, []domain.Record{msg("a", 7)}, nil, map[string]string{"a": "[a2 a3 a4 u1]"}, "[2]"},
		// 5 arrives: 5, then the parked 6 and 7.
		{api1, []domain.Record{msg("a", 5)}, nil, map[string]string{"a": "[a2 a3 a4 u1 a5 a6 a7]"}, "[0]"},
		// The relay's fallback republishes them all: nothing is added; the
		// new one is.
		{relay, []domain.Record{msg("a", 4), msg("b", 1), msg("a", 5), msg("a", 6), msg("a", 7), msg("a", 8), msg("b", 2)}, nil,
			map[string]string{"a": "[a2 a3 a4 u1 a5 a6 a7 a8]", "b": "[b1 b2]"}, ""},
	}
	for i, st := range steps {
		var err error
		if st.p == relay {
			err = st.p.Publish(t.Context(), st.recs)
		} else {
			var pubs []domain.Publication
			pubs, err = st.p.PublishFresh(t.Context(), st.recs, st.starts)
			if st.pubs != "" && fmt.Sprint(pubs) != st.pubs {
				t.Errorf("step %d: publications %v, want %s", i, pubs, st.pubs)
			}
		}
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		for room, want := range st.want {
			if got := streamIDs(t, rdb, room); fmt.Sprint(got) != want {
				t.Errorf("step %d: stream %s = %v, want %s", i, room, got, want)
			}
		}
	}
}

// streamIDs returns the event ids in room's stream, in order.
func streamIDs(t *testing.T, rdb redis.UniversalClient, room string) []string {
	t.Helper()
	entries, err := rdb.XRange(t.Context(), key(room), "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range entries {
		ids = append(ids, e.Values["id"].(string))
	}
	return ids
}
