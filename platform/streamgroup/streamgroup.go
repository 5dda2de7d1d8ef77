// Package streamgroup runs a Redis Streams consumer group over a fixed set
// of streams: read new entries, hand each to a handler, acknowledge it when
// the handler succeeds, and claim the entries a crashed consumer of the
// group left unacknowledged. Delivery is at least once.
package streamgroup

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/platform/redisconn"
)

// Tuning: entries per read, how long a read blocks, and when an entry
// delivered to a consumer that went silent is claimed by another.
const (
	batch      = 100
	block      = 2 * time.Second
	claimEvery = 15 * time.Second
	claimIdle  = 30 * time.Second
)

// Handler handles one entry. nil acknowledges it; an error leaves it
// pending, to be claimed and handled again later. A malformed entry should
// be logged and answered nil: retrying cannot fix it.
type Handler func(ctx context.Context, stream, id string, values map[string]any) error

// Consumer is one member (Name) of Group reading Streams.
type Consumer struct {
	Redis   redis.UniversalClient
	Streams []string
	Group   string
	Name    string
	Handle  Handler
	Log     *slog.Logger
}

// Run consumes until ctx is done; it returns nil then. Redis errors are
// logged and retried after a pause. A new group starts at "$": a new
// deployment handles new entries, not the history.
func (c *Consumer) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		if err := c.ensureGroups(ctx); err != nil {
			c.pause(ctx, "create consumer groups", err)
			continue
		}
		break
	}
	// One read may only name streams of one hash slot on a Redis Cluster:
	// one loop per slot group (a single loop on one Redis). The handler is
	// then called concurrently across loops.
	var wg sync.WaitGroup
	for _, g := range redisconn.SlotGroups(c.Redis, c.Streams) {
		streams := make([]string, len(g))
		for i, k := range g {
			streams[i] = c.Streams[k]
		}
		wg.Go(func() { c.read(ctx, streams) })
	}
	wg.Wait()
	return nil
}

// read consumes one group of streams (all in one hash slot) until ctx is
// done.
func (c *Consumer) read(ctx context.Context, streams []string) {
	args := &redis.XReadGroupArgs{Group: c.Group, Consumer: c.Name, Count: batch, Block: block}
	args.Streams = append(args.Streams, streams...)
	for range streams {
		args.Streams = append(args.Streams, ">")
	}
	var lastScan time.Time
	for ctx.Err() == nil {
		if time.Since(lastScan) > claimEvery {
			c.claimStale(ctx, streams)
			lastScan = time.Now()
		}
		res, err := c.Redis.XReadGroup(ctx, args).Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			if strings.HasPrefix(err.Error(), "NOGROUP") {
				_ = c.ensureGroups(ctx) // a stream was deleted (FLUSHDB in tests, ops)
			}
			c.pause(ctx, "read streams", err)
			continue
		}
		for _, st := range res {
			for _, m := range st.Messages {
				c.handle(ctx, st.Stream, m)
			}
		}
	}
}

func (c *Consumer) ensureGroups(ctx context.Context) error {
	for _, s := range c.Streams {
		err := c.Redis.XGroupCreateMkStream(ctx, s, c.Group, "$").Err()
		if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
			return err
		}
	}
	return nil
}

// claimStale takes over entries another consumer read but never
// acknowledged (it crashed or its handler failed).
func (c *Consumer) claimStale(ctx context.Context, streams []string) {
	for _, s := range streams {
		msgs, _, err := c.Redis.XAutoClaim(ctx, &redis.XAutoClaimArgs{
			Stream: s, Group: c.Group, Consumer: c.Name, MinIdle: claimIdle, Start: "0-0", Count: batch,
		}).Result()
		if err != nil {
			if ctx.Err() == nil {
				c.Log.WarnContext(ctx, "claim stale entries", "stream", s, "err", err)
			}
			continue
		}
		for _, m := range msgs {
			c.handle(ctx, s, m)
		}
	}
}

func (c *Consumer) handle(ctx context.Context, stream string, m redis.XMessage) {
	if err := c.Handle(ctx, stream, m.ID, m.Values); err != nil {
		if ctx.Err() == nil {
			c.Log.WarnContext(ctx, "entry not handled; will retry", "stream", stream, "entry", m.ID, "err", err)
		}
		return
	}
	if err := c.Redis.XAck(ctx, stream, c.Group, m.ID).Err(); err != nil && ctx.Err() == nil {
		c.Log.WarnContext(ctx, "ack entry", "stream", stream, "entry", m.ID, "err", err)
	}
}

func (c *Consumer) pause(ctx context.Context, what string, err error) {
	if ctx.Err() != nil {
		return
	}
	c.Log.WarnContext(ctx, what, "err", err, "group", c.Group)
	select {
	case <-ctx.Done():
	case <-time.After(time.Second):
	}
}
