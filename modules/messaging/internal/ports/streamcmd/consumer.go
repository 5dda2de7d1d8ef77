// Package streamcmd is the api's incoming adapter for socket commands: it
// reads the gateways' command stream through a consumer group shared by
// every api instance, runs each command through a Service (the messaging
// use cases), answers on the gateway's reply stream and acknowledges.
//
// Reading never waits for the commands it read: sends queue for their
// room's send slot (SendSlots slots, rooms spread over them by hash; each
// runs one SendMessages call at a time with every send queued for it
// meanwhile, up to Batch), other commands run on up to Workers goroutines,
// and the read loop only pauses while MaxInFlight entries are unanswered
// (so one busy instance does not hoard the stream). A read used to run to
// its end before the next one: every command then queued behind a whole
// batch and its commit, which bounded the api at about Batch per batch
// time whatever the database could take.
//
// A command is acknowledged only after its reply is written; the commands
// of an instance that dies are claimed by another (XAUTOCLAIM) once idle
// for ClaimMinIdle and run there. While a live instance holds an entry
// (read, queued or running) it keeps the entry from going idle (XCLAIM
// JUSTID to itself every ClaimMinIdle/3) and never claims its own
// in-flight entries, so when nobody crashes every command runs exactly
// once.
//
// A send-message is run only while the gateway that appended it is still
// waiting for the reply: it must commit before its entry (whose id carries
// Redis's clock) is MaxAge old, the gateway's COMMAND_TIMEOUT. An older one
// (e.g. claimed from a dead instance) is acknowledged without running and
// answered "unavailable", so the "unavailable; retry" the client got from
// the gateway means "not stored", and a resend without clientMsgId is not
// a duplicate. The exception, an api dying between its commit and its
// reply, is why clients should still send a clientMsgId.
package streamcmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/chatforge/chat/platform/tracing"
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
	// EditMessage and DeleteMessage answer with the message as it now is
	// (its JSON wire shape).
	EditMessage(ctx context.Context, userID string, d EditMessageData) (json.RawMessage, error)
	DeleteMessage(ctx context.Context, userID string, d DeleteMessageData) (json.RawMessage, error)
	React(ctx context.Context, userID string, d ReactData) (json.RawMessage, error)
}

// Send is one send-message command for Service.SendMessages.
type Send struct {
	UserID    string
	SessionID string // the sender's session (device)
	Data      SendMessageData
	// Trace is the traceparent of the command's span on this api: the
	// message's event joins its trace.
	Trace string
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
	Batch         int           // entries per read, and most sends per SendMessages call (default 100)
	Workers       int           // join-room and mark-read commands run concurrently (default 8)
	SendSlots     int           // SendMessages calls run concurrently (default DefaultSendSlots)
	MaxInFlight   int           // entries read and not yet answered before reading pauses (default Batch*(SendSlots+1)+Workers)
	Block         time.Duration // longest wait for new entries (default 1s)
	ClaimInterval time.Duration // how often to look for orphaned entries (default 5s)
	ClaimMinIdle  time.Duration // idle time after which another instance's entry is taken (default 15s)
	MaxAge        time.Duration // a send-message must commit before its entry is this old (default 10s: the gateway's COMMAND_TIMEOUT)
	ShedAfter     time.Duration // a send-message that waited longer for its batch is answered unavailable, unrun (default 500ms; see shed.go)
	// RelayLag measures how old the oldest unpublished event is; above
	// MaxRelayLag (default 5s) send-messages are answered unavailable,
	// unrun. nil: not checked.
	RelayLag    func(context.Context) (time.Duration, error)
	MaxRelayLag time.Duration
	// ObserveWait, when set, is told each command's wait from its
	// gateway's append (Command.SentAt, else the entry id) to this read;
	// ObserveStore each SendMessages call's duration (to its commit).
	ObserveWait  func(CommandType, time.Duration)
	ObserveStore func(time.Duration)
	// DeferPublish, when set, marks the context of each SendMessages call
	// so that the events it commits are published only by the returned
	// flush, which the consumer calls after writing the replies (a
	// sender's ack then precedes its own copy of the message).
	DeferPublish func(context.Context) (context.Context, func(context.Context))
	// Calls runs the call signaling commands (Command.Type.IsCall()); nil:
	// they are answered bad_request. Its error is an *Error to choose the
	// code, like the Service's.
	Calls func(ctx context.Context, cmd Command) (json.RawMessage, error)
	Log   *slog.Logger
	// Tracing, when on, gives each command a consumer span in the trace
	// its gateway carried, and each batch of sends a span (nil: off).
	Tracing *tracing.Tracing
}

// DefaultSendSlots is how many SendMessages calls run at once, on disjoint
// sets of rooms (no batch waits for another's room locks): one slot's
// statements run while another's commit is flushed, and the sends that
// arrive meanwhile gather into each slot's next batch.
const DefaultSendSlots = 2

// Consumer reads and runs commands. Run it once per api process.
type Consumer struct {
	rdb redis.UniversalClient
	svc Service
	o   Options

	lag     *lagGate
	sends   []*sendQueue  // per send slot, the send-messages waiting for it
	workers chan struct{} // one token per running join-room or mark-read
	work    sync.WaitGroup
	clock   redisClock

	mu       sync.Mutex
	inflight map[string]struct{} // entries read or claimed here and not yet answered
	freed    chan struct{}       // signalled when an entry leaves inflight
}

// New returns a Consumer.
func New(rdb redis.UniversalClient, svc Service, o Options) (*Consumer, error) {
	if o.Consumer == "" {
		return nil, errors.New("streamcmd: Options.Consumer is required")
	}
	o.Batch = orDefault(o.Batch, 100)
	o.Workers = orDefault(o.Workers, 8)
	o.SendSlots = orDefault(o.SendSlots, DefaultSendSlots)
	o.MaxInFlight = orDefault(o.MaxInFlight, o.Batch*(o.SendSlots+1)+o.Workers)
	o.Block = orDefault(o.Block, time.Second)
	o.ClaimInterval = orDefault(o.ClaimInterval, 5*time.Second)
	o.ClaimMinIdle = orDefault(o.ClaimMinIdle, 15*time.Second)
	o.MaxAge = orDefault(o.MaxAge, 10*time.Second)
	o.ShedAfter = orDefault(o.ShedAfter, 500*time.Millisecond)
	o.MaxRelayLag = orDefault(o.MaxRelayLag, 5*time.Second)
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	sends := make([]*sendQueue, o.SendSlots)
	for i := range sends {
		sends[i] = newSendQueue()
	}
	return &Consumer{
		rdb: rdb, svc: svc, o: o, lag: &lagGate{lag: o.RelayLag, max: o.MaxRelayLag},
		sends: sends, workers: make(chan struct{}, o.Workers),
		inflight: make(map[string]struct{}), freed: make(chan struct{}, 1),
	}, nil
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
	// The in-flight entries are kept fresh until the last one is answered,
	// after both loops have returned.
	keepCtx, stopKeep := context.WithCancel(context.WithoutCancel(ctx))
	keepDone := make(chan struct{})
	go func() { defer close(keepDone); c.keepAliveLoop(keepCtx) }()
	// The send slots finish the queued sends after ctx ends: they were
	// read, so they are answered.
	var slots sync.WaitGroup
	for _, q := range c.sends {
		slots.Go(func() { c.sendLoop(context.WithoutCancel(ctx), q) })
	}
	var wg sync.WaitGroup
	wg.Go(func() { c.claimLoop(ctx) })
	c.readLoop(ctx)
	wg.Wait()
	c.work.Wait() // every entry read is answered (or left pending)
	for _, q := range c.sends {
		q.close()
	}
	slots.Wait()
	stopKeep()
	<-keepDone
	// Leave the group tidy: this consumer's name is random per process.
	// DELCONSUMER drops the consumer's pending entries for good (they could
	// not be claimed any more), so only a consumer with none is deleted;
	// one left with entries (a reply failed) lets another instance claim
	// them.
	cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	pending, err := c.rdb.XPendingExt(cleanup, &redis.XPendingExtArgs{
		Stream: CommandStream, Group: CommandGroup, Consumer: c.o.Consumer, Start: "-", End: "+", Count: 1,
	}).Result()
	switch {
	case err != nil:
	case len(pending) > 0:
		c.o.Log.Warn("command consumer left pending entries; another instance will claim them")
	default:
		_ = c.rdb.XGroupDelConsumer(cleanup, CommandStream, CommandGroup, c.o.Consumer).Err()
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
		room := c.room(ctx)
		if room == 0 {
			continue // ctx done
		}
		res, err := c.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
			Group: CommandGroup, Consumer: c.o.Consumer, Streams: []string{CommandStream, ">"},
			Count: int64(min(c.o.Batch, room)), Block: c.o.Block,
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
			c.dispatch(ctx, s.Messages)
		}
	}
}

// room waits until fewer than MaxInFlight entries are unanswered and
// returns how many more may be read (0 when ctx ended).
func (c *Consumer) room(ctx context.Context) int {
	for {
		c.mu.Lock()
		n := c.o.MaxInFlight - len(c.inflight)
		c.mu.Unlock()
		if n > 0 {
			return n
		}
		select {
		case <-ctx.Done():
			return 0
		case <-c.freed:
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
			// Entries of this process's own in-flight set are not orphans
			// (their keep-alive was late): they are being run already.
			if msgs = c.notInFlight(msgs); len(msgs) > 0 {
				c.o.Log.InfoContext(ctx, "claimed orphaned commands", "count", len(msgs))
				c.dispatch(ctx, msgs).Wait()
			}
			if next == "0-0" || next == "" {
				break
			}
			start = next
		}
	}
}

// dispatch starts the entries of one read (or claim) and returns at once;
// the WaitGroup is done when all of them are answered.
//
// The send-message commands join the send queue together, in read order
// (so one connection's messages to a room take increasing seqs in the
// order its gateway appended them), and each is answered and acknowledged
// only after the SendMessages call that ran it, hence after its commit.
// The other commands run concurrently, at most Workers at once. Commands
// of different reads may run concurrently, and in any order: the gateway
// sends a connection's next command only after the previous reply, so
// commands whose relative order matters (a join and the sends that follow
// it) are never in flight together.
func (c *Consumer) dispatch(ctx context.Context, msgs []redis.XMessage) *sync.WaitGroup {
	ctx = context.WithoutCancel(ctx) // started commands are finished and answered
	msgs = c.enter(msgs)
	group := new(sync.WaitGroup)
	group.Add(len(msgs))
	c.work.Add(len(msgs))
	sends := make([][]queuedSend, len(c.sends))
	read := time.Now()
	for _, m := range msgs {
		done := func() {
			c.leave(m.ID)
			group.Done()
			c.work.Done()
		}
		cmd, err := ParseCommand(m.Values)
		if err == nil && c.o.ObserveWait != nil {
			c.o.ObserveWait(cmd.Type, waited(cmd, m.ID, read))
		}
		switch {
		case err != nil:
			// Nobody to answer: drop it rather than claim it forever.
			c.o.Log.WarnContext(ctx, "dropping malformed command", "entry", m.ID, "err", err)
			c.ack(ctx, answer{entry: m.ID})
			done()
		case cmd.Type == CmdSendMessage:
			// Decoded once, here: the room picks the slot, and sendAll
			// answers a data that does not decode.
			q := queuedSend{entry: entry{id: m.ID, cmd: cmd}, done: done}
			if c.o.Tracing.Enabled() {
				sctx, span := c.startCommand(ctx, m.ID, cmd)
				q.traced = &tracedSend{span: span, parent: tracing.Traceparent(sctx)}
			}
			q.bad = decode(cmd.Data, &q.data)
			i := 0
			if q.bad == nil {
				i = slotOf(q.data.RoomID, len(sends))
			}
			sends[i] = append(sends[i], q)
		default:
			go func() {
				c.workers <- struct{}{}
				defer func() { <-c.workers }()
				ctx, span := c.startCommand(ctx, m.ID, cmd)
				c.handle(ctx, entry{id: m.ID, cmd: cmd})
				span.End()
				done()
			}()
		}
	}
	for i, q := range c.sends {
		q.push(sends[i])
	}
	return group
}

// slotOf is the send slot of a send-message to room: one per room (by a
// hash of its id), so that batches running at once never touch the same
// room. Two slots sharing rooms waited on each other's room locks until
// commit, which made them take turns instead of overlapping. Correctness
// does not depend on it (the room locks order seqs); a data that does not
// decode goes to slot 0 and is answered bad_request there.
func slotOf(room string, slots int) int {
	if slots == 1 {
		return 0
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(strings.ToLower(room)))
	return int(h.Sum32() % uint32(slots))
}

// sendLoop is one send slot: it runs the sends queued in q, up to Batch at
// a time in queue order, until q is closed and empty.
func (c *Consumer) sendLoop(ctx context.Context, q *sendQueue) {
	for {
		batch := q.take(c.o.Batch)
		if batch == nil {
			return
		}
		c.sendAll(ctx, batch)
		for _, s := range batch {
			s.done()
		}
	}
}

// enter adds msgs to the in-flight set and returns those that were not in
// it already (these are being run: never run them twice).
func (c *Consumer) enter(msgs []redis.XMessage) []redis.XMessage {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := msgs[:0:0]
	for _, m := range msgs {
		if _, ok := c.inflight[m.ID]; !ok {
			c.inflight[m.ID] = struct{}{}
			out = append(out, m)
		}
	}
	return out
}

// leave removes an entry (answered, or left pending after a failed reply)
// from the in-flight set and wakes a read loop waiting for room.
func (c *Consumer) leave(id string) {
	c.mu.Lock()
	delete(c.inflight, id)
	c.mu.Unlock()
	select {
	case c.freed <- struct{}{}:
	default:
	}
}

// notInFlight returns the entries of msgs not in the in-flight set.
func (c *Consumer) notInFlight(msgs []redis.XMessage) []redis.XMessage {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := msgs[:0:0]
	for _, m := range msgs {
		if _, ok := c.inflight[m.ID]; !ok {
			out = append(out, m)
		}
	}
	return out
}

// keepAliveLoop resets the idle time of the in-flight entries every
// ClaimMinIdle/3 (XCLAIM to this consumer with JUSTID: no delivery count
// increment), so no instance's claim loop takes an entry this live process
// has queued or is running. Only an instance that stops refreshing for
// ClaimMinIdle (dead, hung or cut off from Redis) loses its entries.
func (c *Consumer) keepAliveLoop(ctx context.Context) {
	t := time.NewTicker(max(c.o.ClaimMinIdle/3, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		c.mu.Lock()
		ids := make([]string, 0, len(c.inflight))
		for id := range c.inflight {
			ids = append(ids, id)
		}
		c.mu.Unlock()
		for chunk := range slices.Chunk(ids, 1000) {
			// An id answered meanwhile is no longer pending: XCLAIM skips it.
			err := c.rdb.XClaimJustID(ctx, &redis.XClaimArgs{
				Stream: CommandStream, Group: CommandGroup, Consumer: c.o.Consumer, MinIdle: 0, Messages: chunk,
			}).Err()
			if err != nil && ctx.Err() == nil {
				c.o.Log.WarnContext(ctx, "command keep-alive failed", "count", len(chunk), "err", err)
			}
		}
	}
}

// entry is a parsed command and its stream entry id.
type entry struct {
	id  string
	cmd Command
}

// startCommand starts the span of a command on this api, in the trace its
// gateway carried (Command.Trace). Off, it costs a nil check.
func (c *Consumer) startCommand(ctx context.Context, id string, cmd Command) (context.Context, trace.Span) {
	if !c.o.Tracing.Enabled() {
		return ctx, tracing.NoSpan()
	}
	ctx, span := c.o.Tracing.StartRemote(ctx, "command "+string(cmd.Type), cmd.Trace, tracing.Consumer)
	span.SetAttributes(attribute.String("chat.command.id", cmd.ID), attribute.String("chat.command.type", string(cmd.Type)),
		attribute.String("chat.user.id", cmd.UserID), attribute.String("messaging.message.id", id))
	return ctx, span
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
