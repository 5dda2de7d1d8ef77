package redis_test

import (
	"testing"
	"time"

	redisadapter "github.com/chatforge/chat/modules/messaging/internal/adapters/redis"
	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// A snapshot is found by its user and token only; a spent token keeps a
// short grace, never longer than it had.
func TestSnapshots(t *testing.T) {
	rdb := client(t)
	ctx := t.Context()
	s := redisadapter.NewSnapshots(rdb, "t:sync:", time.Hour)
	snap := []domain.RoomState{{RoomID: "r1", LastSeq: 3, Rev: 4, ReadSeq: 2}, {RoomID: "r2"}}
	if err := s.Save(ctx, "u1", "tok1", "", snap); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.Load(ctx, "u1", "tok1")
	if err != nil || !ok || len(got) != 2 || got["r1"] != snap[0] || got["r2"] != snap[1] {
		t.Fatalf("load = %v, %v, %v", got, ok, err)
	}
	if _, ok, err := s.Load(ctx, "u2", "tok1"); ok || err != nil {
		t.Errorf("another user's token found: %v, %v", ok, err)
	}
	if _, ok, _ := s.Load(ctx, "u1", "nope"); ok {
		t.Error("an unknown token found")
	}
	if err := s.Save(ctx, "u1", "tok2", "tok1", nil); err != nil {
		t.Fatal(err)
	}
	ttl := rdb.TTL(ctx, "t:sync:{u1}:tok1").Val()
	if ttl <= 0 || ttl > redisadapter.SyncGrace {
		t.Errorf("spent token TTL %s, want at most %s", ttl, redisadapter.SyncGrace)
	}
	if ttl := rdb.TTL(ctx, "t:sync:{u1}:tok2").Val(); ttl < 59*time.Minute {
		t.Errorf("new token TTL %s, want about an hour", ttl)
	}
}
