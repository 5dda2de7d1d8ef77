package redisconn_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/platform/config"
	"github.com/chatforge/chat/platform/redisconn"
	"github.com/chatforge/chat/platform/testenv"
)

func TestOpen(t *testing.T) {
	t.Parallel()
	rdb, err := redisconn.Open(t.Context(), config.Redis{URL: testenv.Redis(t), PoolSize: 3})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	if got := rdb.(*redis.Client).Options().PoolSize; got != 3 {
		t.Errorf("PoolSize = %d, want 3", got)
	}
	if err := rdb.Set(t.Context(), "k", "v", time.Minute).Err(); err != nil {
		t.Errorf("SET: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := redisconn.Open(ctx, config.Redis{URL: "redis://127.0.0.1:1/0"}); err == nil {
		t.Error("Open succeeded without a server")
	}
	_, err := redisconn.Open(ctx, config.Redis{URL: "redis://user:s3cret@[::1/0"})
	if err == nil {
		t.Fatal("malformed URL accepted")
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("error leaks the password: %v", err)
	}
}
