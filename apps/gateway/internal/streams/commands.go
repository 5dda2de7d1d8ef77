// Package streams is the gateway's side of the Redis streams: it appends
// client commands to the api's command stream and routes the replies back
// to the waiting connection, and it reads every partition of the event
// streams for fan-out.
package streams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/modules/messaging/wire"
	"github.com/chatforge/chat/platform/redisconn"
	"github.com/chatforge/chat/platform/tracing"
)

// ErrTimeout is returned by Do when no reply came in time: the api fleet is
// down or overloaded. A send-message is then not stored: the api drops one
// older than its COMMAND_MAX_AGE, equal to the gateway's COMMAND_TIMEOUT
// (only an api dying between commit and reply stores one unanswered, which
// a resend with the same clientMsgId handles). Other commands may still run
// later (harmless: reads and a monotonic read pointer).
var ErrTimeout = errors.New("streams: no reply from the api in time")

// Commander sends commands and waits for their replies. Each gateway
// process has its own reply stream, read by one goroutine (Run) that hands
// each reply to the waiting caller by ref. Safe for concurrent use.
type Commander struct {
	rdb redis.UniversalClient
	// appends sends the command pipelines without go-redis's retries: a
	// pipeline that times out reading its replies is sent again, and an
	// XADD sent twice is a command run twice (only sends are idempotent).
	// On a cluster it does not follow MOVED either (see
	// redisconn.WithoutRetries): a command caught by a resharding is
	// answered unavailable and resent by its client.
	appends redis.UniversalClient
	log     *slog.Logger
	reply   string // this gateway's reply stream

	next    atomic.Uint64
	mu      sync.Mutex
	waiting map[string]chan wire.Reply
	reading atomic.Bool // Run is connected; readiness

	// Auto-pipelining: every socket reader appends its own command, so
	// under load many XADDs would each pay a round trip. Callers queue
	// their append; whoever finds no pipeline in flight sends all that is
	// queued as one pipeline, and hands the next batch to the first caller
	// queued meanwhile. An idle gateway sends at once (a batch of one).
	qmu      sync.Mutex
	queue    []*appendCall
	flushing bool
}

// appendCall is one queued XADD. sent gets errLead when its caller is to
// send the next batch, then the result of its own XADD.
type appendCall struct {
	ctx    context.Context
	values []any
	sent   chan error
}

var errLead = errors.New("streams: send the next batch")

// NewCommander returns a Commander for the gateway gatewayID.
func NewCommander(rdb redis.UniversalClient, gatewayID string, log *slog.Logger) *Commander {
	return &Commander{
		rdb: rdb, appends: redisconn.WithoutRetries(rdb), log: log, reply: wire.ReplyStreamPrefix + gatewayID,
		waiting: make(map[string]chan wire.Reply),
	}
}

// Do appends a command and waits for its reply until ctx is done
// (ErrTimeout when the deadline passes).
func (c *Commander) Do(ctx context.Context, typ wire.CommandType, userID, sessionID string, data any) (wire.Reply, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return wire.Reply{}, err
	}
	ref := strconv.FormatUint(c.next.Add(1), 36)
	ch := make(chan wire.Reply, 1)
	c.mu.Lock()
	c.waiting[ref] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.waiting, ref)
		c.mu.Unlock()
	}()

	cmd := wire.Command{
		ID: uuid.NewString(), Type: typ, UserID: userID, SessionID: sessionID,
		Reply: c.reply, Ref: ref, Data: raw, SentAt: time.Now(),
		Trace: tracing.Traceparent(ctx), // "" (not allocated) when untraced
	}
	if err := c.appendCommand(ctx, cmd.Values()); err != nil {
		return wire.Reply{}, fmt.Errorf("streams: append command: %w", err)
	}
	select {
	case r := <-ch:
		return r, nil
	case <-ctx.Done():
		return wire.Reply{}, ErrTimeout
	}
}

// appendCommand appends one command to the command stream, in a pipeline
// with the commands of the other callers queued at the same time.
func (c *Commander) appendCommand(ctx context.Context, values []any) error {
	call := &appendCall{ctx: ctx, values: values, sent: make(chan error, 1)}
	c.qmu.Lock()
	c.queue = append(c.queue, call)
	lead := !c.flushing
	c.flushing = true
	c.qmu.Unlock()
	if lead {
		c.flush()
	}
	// No select on ctx here: a queued caller may be handed the next batch,
	// and the pipeline is bounded by the client's read/write timeouts.
	err := <-call.sent
	if errors.Is(err, errLead) {
		c.flush()
		err = <-call.sent
	}
	return err
}

// flush sends the queued commands as one pipeline (one round trip), then
// hands the batch queued meanwhile to its first caller, so no caller sends
// for others for longer than one round trip.
func (c *Commander) flush() {
	c.qmu.Lock()
	batch := c.queue
	c.queue = nil
	c.qmu.Unlock()

	pipe := c.appends.Pipeline()
	cmds := make([]*redis.StringCmd, len(batch))
	var pctx context.Context
	for i, call := range batch {
		if err := call.ctx.Err(); err != nil {
			call.sent <- err // as XAdd with a done context: not sent
			continue
		}
		if pctx == nil {
			// Not a caller's own context: its end must not fail the others.
			pctx = context.WithoutCancel(call.ctx)
		}
		cmds[i] = pipe.XAdd(pctx, &redis.XAddArgs{
			Stream: wire.CommandStream, MaxLen: wire.CommandStreamMaxLen, Approx: true, Values: call.values,
		})
	}
	if pctx != nil {
		_, _ = pipe.Exec(pctx) // each command carries its own error
	}
	for i, call := range batch {
		if cmds[i] != nil {
			call.sent <- cmds[i].Err()
		}
	}

	c.qmu.Lock()
	if len(c.queue) == 0 {
		c.flushing = false
	} else {
		c.queue[0].sent <- errLead
	}
	c.qmu.Unlock()
}

// Ready reports whether the reply reader is connected.
func (c *Commander) Ready() bool { return c.reading.Load() }

// Run reads the reply stream until ctx is done, then deletes it. The stream
// is new (the gateway id is random per start), so reading starts at "0".
func (c *Commander) Run(ctx context.Context) error {
	defer func() {
		cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = c.rdb.Del(cleanup, c.reply).Err()
		_ = c.appends.Close()
	}()
	last := "0"
	var b backoff
	// Ready as soon as Redis answers, not after the first block times out.
	if c.rdb.Ping(ctx).Err() == nil {
		c.reading.Store(true)
	}
	for ctx.Err() == nil {
		res, err := c.rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{c.reply, last}, Count: 512, Block: time.Second}).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			c.reading.Store(false)
			if ctx.Err() == nil {
				c.log.WarnContext(ctx, "reply stream read failed", "err", err)
				b.wait(ctx)
			}
			continue
		}
		c.reading.Store(true)
		b.reset()
		for _, s := range res {
			for _, m := range s.Messages {
				last = m.ID
				c.deliver(m)
			}
		}
	}
	return nil
}

func (c *Commander) deliver(m redis.XMessage) {
	r, err := wire.ParseReply(m.Values)
	if err != nil {
		c.log.Warn("malformed reply", "entry", m.ID, "err", err)
		return
	}
	c.mu.Lock()
	ch := c.waiting[r.Ref]
	c.mu.Unlock()
	if ch == nil {
		return // the caller gave up (timeout) or a claimed command was answered twice
	}
	select {
	case ch <- r:
	default: // already answered
	}
}

// backoff waits 100ms doubling to 5s between failed Redis calls.
type backoff struct{ d time.Duration }

func (b *backoff) wait(ctx context.Context) {
	b.d = min(max(2*b.d, 100*time.Millisecond), 5*time.Second)
	select {
	case <-ctx.Done():
	case <-time.After(b.d):
	}
}

func (b *backoff) reset() { b.d = 0 }
