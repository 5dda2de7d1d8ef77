package streams

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/modules/messaging"
	"github.com/chatforge/chat/platform/testenv"
)

func newRedis(t *testing.T) *redis.Client {
	t.Helper()
	rdb := testenv.RedisClient(t)
	return rdb
}

// echoAPI answers every command of the command stream with its own data,
// as the api would (one reply per command, to the command's reply stream).
func echoAPI(ctx context.Context, t *testing.T, rdb *redis.Client) {
	last := "0"
	for ctx.Err() == nil {
		res, err := rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{messaging.CommandStream, last}, Count: 512, Block: 100 * time.Millisecond}).Result()
		if err != nil {
			continue
		}
		for _, m := range res[0].Messages {
			last = m.ID
			c, err := messaging.ParseCommand(m.Values)
			if err != nil {
				t.Errorf("malformed command: %v", err)
				continue
			}
			r := messaging.Reply{Ref: c.Ref, OK: true, Data: c.Data}
			_ = rdb.XAdd(ctx, &redis.XAddArgs{Stream: c.Reply, Values: r.Values()}).Err()
		}
	}
}

// Concurrent callers share pipelines: every command is appended exactly
// once and each caller gets its own reply.
func TestCommanderPipelinesConcurrentCommands(t *testing.T) {
	t.Parallel()
	rdb := newRedis(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	c := NewCommander(rdb, "gw-test", slog.New(slog.NewTextHandler(io.Discard, nil)))
	var bg sync.WaitGroup
	bg.Go(func() { _ = c.Run(ctx) })
	bg.Go(func() { echoAPI(ctx, t, rdb) })
	defer bg.Wait()
	defer cancel()

	const callers, each = 50, 20
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			for j := range each {
				cctx, done := context.WithTimeout(ctx, 10*time.Second)
				want := i*1000 + j
				r, err := c.Do(cctx, messaging.CmdSendMessage, "u", "s", want)
				done()
				if err != nil {
					t.Errorf("Do: %v", err)
					return
				}
				var got int
				if err := json.Unmarshal(r.Data, &got); err != nil || got != want {
					t.Errorf("reply data = %s, want %d", r.Data, want)
				}
			}
		})
	}
	wg.Wait()
	if n := rdb.XLen(ctx, messaging.CommandStream).Val(); n != callers*each {
		t.Errorf("command stream holds %d entries, want %d", n, callers*each)
	}
}

// A caller whose context is done before its batch is sent appends nothing
// and does not stall the callers queued with it.
func TestCommanderDoneContext(t *testing.T) {
	t.Parallel()
	rdb := newRedis(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	c := NewCommander(rdb, "gw-test", slog.New(slog.NewTextHandler(io.Discard, nil)))
	var bg sync.WaitGroup
	bg.Go(func() { _ = c.Run(ctx) })
	bg.Go(func() { echoAPI(ctx, t, rdb) })
	defer bg.Wait()
	defer cancel()

	done, stop := context.WithCancel(ctx)
	stop()
	if _, err := c.Do(done, messaging.CmdSendMessage, "u", "s", 1); !errors.Is(err, context.Canceled) {
		t.Errorf("Do with a done context: err = %v, want context.Canceled", err)
	}
	cctx, cdone := context.WithTimeout(ctx, 10*time.Second)
	defer cdone()
	if _, err := c.Do(cctx, messaging.CmdSendMessage, "u", "s", 2); err != nil {
		t.Errorf("Do after: %v", err)
	}
	if n := rdb.XLen(ctx, messaging.CommandStream).Val(); n != 1 {
		t.Errorf("command stream holds %d entries, want 1", n)
	}
}
