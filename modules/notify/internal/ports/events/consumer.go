// Package events is the notify module's incoming adapter on the message
// event streams: a Redis consumer group "push", shared by every worker,
// reads chat:events:{p} and hands each message.created to the fan-out.
package events

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/chatforge/chat/modules/messaging"
	"github.com/chatforge/chat/modules/notify/internal/adapters/redisstate"
	"github.com/chatforge/chat/modules/notify/internal/app"
	"github.com/chatforge/chat/modules/notify/internal/domain"
	"github.com/chatforge/chat/platform/redisconn"
	"github.com/chatforge/chat/platform/tracing"
)

// Group is the consumer group name on every event stream.
const Group = "push"

// Tuning: entries per read, how long a read blocks, and when an entry
// delivered to a consumer that went silent is claimed by another.
const (
	batch      = 100
	block      = 2 * time.Second
	claimEvery = 15 * time.Second
	claimIdle  = 30 * time.Second
)

// Consumer reads the streams for one worker instance: on one Redis, all
// of them in one blocking XREADGROUP; on a Redis Cluster, where one read
// may only name streams of one hash slot, one loop per slot. Entries are
// handled concurrently across loops (the fan-out is safe for that, and
// pushes are not ordered).
type Consumer struct {
	rdb     redis.UniversalClient
	streams []string
	groups  [][]string // streams read together
	name    string
	fanout  *app.FanOut
	seen    *redisstate.Events
	log     *slog.Logger
	trace   *tracing.Tracing // nil: off
}

// NewConsumer returns a consumer named name over partitions streams.
func NewConsumer(rdb redis.UniversalClient, partitions int, name string, f *app.FanOut, log *slog.Logger) *Consumer {
	streams := messaging.StreamKeys(partitions)
	var groups [][]string
	for _, g := range redisconn.SlotGroups(rdb, streams) {
		var gs []string
		for _, i := range g {
			gs = append(gs, streams[i])
		}
		groups = append(groups, gs)
	}
	return &Consumer{rdb: rdb, streams: streams, groups: groups, name: name, fanout: f,
		seen: redisstate.NewEvents(rdb), log: log.With("component", "push-fanout")}
}

// Traced makes the consumer trace (t nil: off): a traced message's push
// fan-out, and the push task it schedules, join the message's trace. Call
// it before Run.
func (c *Consumer) Traced(t *tracing.Tracing) *Consumer {
	c.trace = t
	return c
}

// Run consumes until ctx is done; it returns nil then. Redis errors are
// logged and retried after a pause: the worker keeps processing tasks.
func (c *Consumer) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		if err := c.ensureGroups(ctx); err != nil {
			c.pause(ctx, "create consumer groups", err)
			continue
		}
		break
	}
	var wg sync.WaitGroup
	for _, streams := range c.groups {
		wg.Go(func() { c.read(ctx, streams) })
	}
	wg.Wait()
	return nil
}

// read consumes one group of streams until ctx is done.
func (c *Consumer) read(ctx context.Context, streams []string) {
	args := &redis.XReadGroupArgs{Group: Group, Consumer: c.name, Count: batch, Block: block}
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
		res, err := c.rdb.XReadGroup(ctx, args).Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			if strings.HasPrefix(err.Error(), "NOGROUP") {
				_ = c.ensureGroups(ctx) // a stream was deleted (FLUSHDB in tests, ops)
			}
			c.pause(ctx, "read event streams", err)
			continue
		}
		for _, st := range res {
			for _, m := range st.Messages {
				c.handle(ctx, st.Stream, m)
			}
		}
	}
}

// ensureGroups creates the group on every stream, starting at "$": a new
// deployment pushes about new messages, not the history.
func (c *Consumer) ensureGroups(ctx context.Context) error {
	for _, s := range c.streams {
		err := c.rdb.XGroupCreateMkStream(ctx, s, Group, "$").Err()
		if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
			return err
		}
	}
	return nil
}

// claimStale takes over entries another consumer read but never
// acknowledged (it crashed), so their pushes still happen.
func (c *Consumer) claimStale(ctx context.Context, streams []string) {
	for _, s := range streams {
		msgs, _, err := c.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
			Stream: s, Group: Group, Consumer: c.name, MinIdle: claimIdle, Start: "0-0", Count: batch,
		}).Result()
		if err != nil {
			if ctx.Err() == nil {
				c.log.WarnContext(ctx, "claim stale events", "stream", s, "err", err)
			}
			continue
		}
		for _, m := range msgs {
			c.handle(ctx, s, m)
		}
	}
}

// handle fans out one entry and acknowledges it, unless the fan-out failed
// in a way worth retrying (it is then claimed again later).
func (c *Consumer) handle(ctx context.Context, stream string, m redis.XMessage) {
	e, err := messaging.DecodeEvent(m.Values)
	if err != nil {
		c.log.WarnContext(ctx, "skipping malformed event", "stream", stream, "entry", m.ID, "err", err)
		c.ack(ctx, stream, m.ID)
		return
	}
	if e.Type != messaging.EventMessageCreated || e.Message == nil {
		c.ack(ctx, stream, m.ID)
		return
	}
	if seen, err := c.seen.Seen(ctx, e.ID); err == nil && seen {
		c.ack(ctx, stream, m.ID)
		return
	}
	if c.trace.Enabled() && e.Trace != "" {
		var span trace.Span
		ctx, span = c.trace.StartRemote(ctx, "push fanout", e.Trace, tracing.Consumer)
		span.SetAttributes(attribute.String("chat.event.id", e.ID), attribute.String("chat.room.id", e.RoomID))
		defer span.End()
	}
	msg := e.Message
	content := msg.Content
	if msg.Ciphertext != nil {
		// End-to-end encrypted: the server has no text to show.
		content = domain.EncryptedPreview
	}
	err = c.fanout.Message(ctx, e.RoomID, domain.PendingMessage{
		MessageID: msg.ID, Seq: msg.Seq, SenderID: msg.UserID, Content: content, SentAt: msg.CreatedAt,
	})
	if err != nil {
		if ctx.Err() == nil {
			c.log.WarnContext(ctx, "push fan-out failed; will retry", "event_id", e.ID, "err", err)
		}
		return
	}
	if err := c.seen.MarkSeen(ctx, e.ID); err != nil {
		c.log.WarnContext(ctx, "mark event seen", "event_id", e.ID, "err", err)
	}
	c.ack(ctx, stream, m.ID)
}

func (c *Consumer) ack(ctx context.Context, stream, id string) {
	if err := c.rdb.XAck(ctx, stream, Group, id).Err(); err != nil && ctx.Err() == nil {
		c.log.WarnContext(ctx, "ack event", "stream", stream, "entry", id, "err", err)
	}
}

func (c *Consumer) pause(ctx context.Context, what string, err error) {
	if ctx.Err() != nil {
		return
	}
	c.log.WarnContext(ctx, what, "err", err)
	select {
	case <-ctx.Done():
	case <-time.After(time.Second):
	}
}
