// Package streamcmd is the api's incoming adapter for socket commands: it
// reads the gateways' command stream through a consumer group shared by
// every api instance, runs each command through a Service (the messaging
// use cases), answers on the gateway's reply stream and acknowledges.
//
// Delivery is at least once. A command is acknowledged only after its reply
// is written; the commands of an instance that dies are claimed by another
// (XAUTOCLAIM) once idle for ClaimMinIdle and run again. Running a
// send-message twice is harmless when it carries a clientMsgId (the store
// is idempotent on it), which is why clients should always send one.
package streamcmd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Service runs commands for a user already authenticated by the gateway.
// Return an *Error to choose the code the client sees; any other error is
// logged and answered as internal.
type Service interface {
	// SendMessages runs the send-message commands of one read together (a
	// single transaction: the per-message commit was the api's ceiling).
	// Within a room, the messages must take seqs in the order of sends.
	// out[i] answers sends[i].
	SendMessages(ctx context.Context, sends []Send) (out []SendOutcome)
	JoinRoom(ctx context.Context, userID string, d JoinRoomData) (JoinAck, error)
	MarkRead(ctx context.Context, userID string, d MarkReadData) (MarkReadAck, error)
}

// Send is one send-message command for Service.SendMessages.
type Send struct {
	UserID string
	Data   SendMessageData
}

// SendOutcome answers one Send: its ack, or Err (an *Error to choose the
// code, as for the other methods).
type SendOutcome struct {
	Ack SendAck
	Err error
}

// Options tune a Consumer. Zero values take the defaults.
type Options struct {
	Consumer      string        // this instance's name in the group; must be unique per process
	Batch         int           // entries per read (default 100)
	Workers       int           // commands run concurrently (default 8)
	Block         time.Duration // longest wait for new entries (default 1s)
	ClaimInterval time.Duration // how often to look for orphaned entries (default 5s)
	ClaimMinIdle  time.Duration // idle time after which another instance's entry is taken (default 15s)
	Log           *slog.Logger
}

// Consumer reads and runs commands. Run it once per api process.
type Consumer struct {
	rdb *redis.Client
	svc Service
	o   Options
}

// New returns a Consumer.
func New(rdb *redis.Client, svc Service, o Options) (*Consumer, error) {
	if o.Consumer == "" {
		return nil, errors.New("streamcmd: Options.Consumer is required")
	}
	o.Batch = orDefault(o.Batch, 100)
	o.Workers = orDefault(o.Workers, 8)
	o.Block = orDefault(o.Block, time.Second)
	o.ClaimInterval = orDefault(o.ClaimInterval, 5*time.Second)
	o.ClaimMinIdle = orDefault(o.ClaimMinIdle, 15*time.Second)
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Consumer{rdb: rdb, svc: svc, o: o}, nil
}

func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Run consumes until ctx is done. Redis errors are logged and retried with
// a backoff; Run returns nil when ctx ends. Commands being run when ctx
// ends are finished (their context is not cancelled) so they are answered.
func (c *Consumer) Run(ctx context.Context) error {
	c.o.Log.InfoContext(ctx, "command consumer starting", "consumer", c.o.Consumer, "stream", CommandStream)
	var wg sync.WaitGroup
	wg.Go(func() { c.claimLoop(ctx) })
	c.readLoop(ctx)
	wg.Wait()
	// Leave the group tidy: this consumer's name is random per process.
	// Pending entries (none after a clean stop) would stay claimable.
	cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if n, err := c.rdb.XGroupDelConsumer(cleanup, CommandStream, CommandGroup, c.o.Consumer).Result(); err == nil && n > 0 {
		c.o.Log.Warn("command consumer left pending entries", "count", n)
	}
	return nil
}

// ensureGroup creates the group (and the stream) if missing. "0": commands
// appended before any api ever ran are executed too.
func (c *Consumer) ensureGroup(ctx context.Context) error {
	err := c.rdb.XGroupCreateMkStream(ctx, CommandStream, CommandGroup, "0").Err()
	if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("streamcmd: create group: %w", err)
	}
	return nil
}

func (c *Consumer) readLoop(ctx context.Context) {
	var b backoff
	needGroup := true
	for ctx.Err() == nil {
		if needGroup {
			if err := c.ensureGroup(ctx); err != nil {
				c.retry(ctx, &b, err)
				continue
			}
			needGroup = false
		}
		res, err := c.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
			Group: CommandGroup, Consumer: c.o.Consumer, Streams: []string{CommandStream, ">"},
			Count: int64(c.o.Batch), Block: c.o.Block,
		}).Result()
		switch {
		case errors.Is(err, redis.Nil):
			b.reset()
			continue
		case err != nil:
			if strings.HasPrefix(err.Error(), "NOGROUP") {
				needGroup = true // the stream was deleted (flushed): recreate
			}
			c.retry(ctx, &b, err)
			continue
		}
		b.reset()
		for _, s := range res {
			c.runBatch(ctx, s.Messages)
		}
	}
}

// claimLoop takes over entries another consumer read but did not
// acknowledge within ClaimMinIdle (that api died or hung) and runs them.
func (c *Consumer) claimLoop(ctx context.Context) {
	t := time.NewTicker(c.o.ClaimInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		start := "0-0"
		for ctx.Err() == nil {
			msgs, next, err := c.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
				Stream: CommandStream, Group: CommandGroup, Consumer: c.o.Consumer,
				MinIdle: c.o.ClaimMinIdle, Start: start, Count: int64(c.o.Batch),
			}).Result()
			if err != nil {
				if ctx.Err() == nil && !strings.HasPrefix(err.Error(), "NOGROUP") {
					c.o.Log.WarnContext(ctx, "command claim failed", "err", err)
				}
				break
			}
			if len(msgs) > 0 {
				c.o.Log.InfoContext(ctx, "claimed orphaned commands", "count", len(msgs))
				c.runBatch(ctx, msgs)
			}
			if next == "0-0" || next == "" {
				break
			}
			start = next
		}
	}
}

// runBatch runs the entries of one read and returns when all are answered.
//
// The send-message commands go to Service.SendMessages together, in read
// order (so one connection's messages to a room take increasing seqs in the
// order its gateway appended them), each answered and acknowledged only
// after that call, hence after its commit. Meanwhile the other commands run
// concurrently, at most Workers at once, as before: the gateway sends a
// connection's next command only after the previous reply, so commands
// whose relative order matters (a join and the sends that follow it) do not
// share a read.
func (c *Consumer) runBatch(ctx context.Context, msgs []redis.XMessage) {
	ctx = context.WithoutCancel(ctx) // started commands are finished and answered
	var sends, others []entry
	for _, m := range msgs {
		cmd, err := ParseCommand(m.Values)
		switch {
		case err != nil:
			// Nobody to answer: drop it rather than claim it forever.
			c.o.Log.WarnContext(ctx, "dropping malformed command", "entry", m.ID, "err", err)
			c.ack(ctx, answer{entry: m.ID})
		case cmd.Type == CmdSendMessage:
			sends = append(sends, entry{id: m.ID, cmd: cmd})
		default:
			others = append(others, entry{id: m.ID, cmd: cmd})
		}
	}
	var wg sync.WaitGroup
	if len(sends) > 0 {
		wg.Go(func() { c.sendAll(ctx, sends) })
	}
	sem := make(chan struct{}, c.o.Workers)
	for _, e := range others {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			c.handle(ctx, e)
		})
	}
	wg.Wait()
}

// entry is a parsed command and its stream entry id.
type entry struct {
	id  string
	cmd Command
}

func (c *Consumer) retry(ctx context.Context, b *backoff, err error) {
	if ctx.Err() != nil {
		return
	}
	d := b.next()
	c.o.Log.WarnContext(ctx, "command stream read failed", "err", err, "retry_in", d)
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// backoff doubles from 100ms to 5s between failed Redis calls.
type backoff struct{ d time.Duration }

func (b *backoff) next() time.Duration {
	b.d = min(max(2*b.d, 100*time.Millisecond), 5*time.Second)
	return b.d
}

func (b *backoff) reset() { b.d = 0 }
