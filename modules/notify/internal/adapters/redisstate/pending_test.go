package redisstate

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/modules/notify/internal/domain"
	"github.com/chatforge/chat/platform/testenv"
)

func TestPendingCollapsesAndSettles(t *testing.T) {
	if testing.Short() {
		t.Skip("needs Redis")
	}
	opt, err := redis.ParseURL(testenv.Redis(t))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	ctx := context.Background()
	p := NewPending(rdb)
	at := time.UnixMilli(1_700_000_000_000).UTC()
	for seq := int64(1); seq <= 3; seq++ {
		if err := p.Add(ctx, "u", "r", domain.PendingMessage{MessageID: "m", Seq: seq, SenderID: "s", Content: "c", SentAt: at}); err != nil {
			t.Fatal(err)
		}
	}
	m, ok, err := p.Peek(ctx, "u", "r")
	if err != nil || !ok || m.Seq != 3 || m.Count != 3 || !m.SentAt.Equal(at) || m.Content != "c" {
		t.Fatalf("peek %+v %v %v", m, ok, err)
	}
	// A message arrives between the peek and the settle: it stays pending,
	// counted alone.
	_ = p.Add(ctx, "u", "r", domain.PendingMessage{MessageID: "m4", Seq: 4, SentAt: at})
	if err := p.Settle(ctx, "u", "r", 3, 3); err != nil {
		t.Fatal(err)
	}
	m, ok, _ = p.Peek(ctx, "u", "r")
	if !ok || m.Seq != 4 || m.Count != 1 {
		t.Fatalf("after settle %+v %v, want seq 4 count 1", m, ok)
	}
	_ = p.Settle(ctx, "u", "r", 4, 1)
	if _, ok, _ := p.Peek(ctx, "u", "r"); ok {
		t.Fatal("record left after settling everything")
	}

	unlock, err := p.Lock(ctx, "u", "r", time.Minute)
	if err != nil || unlock == nil {
		t.Fatalf("first lock: %v", err)
	}
	if again, _ := p.Lock(ctx, "u", "r", time.Minute); again != nil {
		t.Fatal("second lock granted while the first is held")
	}
	unlock()
	if again, _ := p.Lock(ctx, "u", "r", time.Minute); again == nil {
		t.Fatal("lock not granted after unlock")
	}

	ev := NewEvents(rdb)
	if seen, _ := ev.Seen(ctx, "e1"); seen {
		t.Fatal("unseen event reported seen")
	}
	_ = ev.MarkSeen(ctx, "e1")
	if seen, _ := ev.Seen(ctx, "e1"); !seen {
		t.Fatal("seen event reported unseen")
	}
}
