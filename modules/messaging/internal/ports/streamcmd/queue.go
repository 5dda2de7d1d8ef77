package streamcmd

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/trace"
)

// queuedSend is a send-message waiting for a send slot, its data decoded
// at dispatch (into data, or the error in bad); done runs once it is
// answered.
type queuedSend struct {
	entry
	data SendMessageData
	bad  error
	done func()
	// traced is the command's span (tracing on; nil when off, so the
	// queue entries stay small on the hot path).
	traced *tracedSend
}

// tracedSend is a send-message command's span and its trace context.
type tracedSend struct {
	span   trace.Span
	parent string
}

// trace is the context the command's message carries to its event.
func (q *queuedSend) trace() string {
	if q.traced == nil {
		return ""
	}
	return q.traced.parent
}

// sendQueue holds the send-messages read and not yet taken by its send
// slot, in read order. Natural batching, no timer: the slot takes
// everything queued (up to its batch size) as soon as it is free, so an
// idle api runs a send at once and a busy one gathers the sends that
// arrive during a commit into the next batch. Any number of pushers, one
// taker.
type sendQueue struct {
	mu     sync.Mutex
	q      []queuedSend
	closed bool
	ready  chan struct{} // a token when q gained entries or the queue closed since the taker last looked
}

func newSendQueue() *sendQueue { return &sendQueue{ready: make(chan struct{}, 1)} }

// push appends sends, keeping their order.
func (s *sendQueue) push(sends []queuedSend) {
	if len(sends) == 0 {
		return
	}
	s.mu.Lock()
	s.q = append(s.q, sends...)
	s.mu.Unlock()
	s.signal()
}

// close makes take return nil once the queue is empty.
func (s *sendQueue) close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.signal()
}

// signal wakes the taker, or lets its next wait return at once: a token
// left over from entries it has already taken costs one more look.
func (s *sendQueue) signal() {
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// take waits for queued sends and removes up to max of them, the oldest
// first. It returns nil when the queue is closed and empty. One goroutine
// only: it takes what is queued without waking anyone.
func (s *sendQueue) take(max int) []queuedSend {
	for {
		s.mu.Lock()
		if n := min(max, len(s.q)); n > 0 {
			out := slices.Clone(s.q[:n])
			rest := copy(s.q, s.q[n:])
			clear(s.q[rest:]) // no stale entry keeps its data and done alive
			s.q = s.q[:rest]
			s.mu.Unlock()
			return out
		}
		closed := s.closed
		s.mu.Unlock()
		if closed {
			return nil
		}
		<-s.ready
	}
}

// redisClock is Redis's clock (the one command entry ids are taken from),
// read with TIME at most once a second and extrapolated with this host's
// monotonic clock in between: a TIME round trip per batch cost as much as
// a statement.
type redisClock struct {
	mu     sync.Mutex
	offset time.Duration // Redis's time minus this host's, as last read
	read   time.Time     // when it was read (zero: never)
}

// clockScript answers TIME on the node holding KEYS[1], the command
// stream: its entry ids come from that node's clock, and on a Redis
// Cluster a plain TIME goes to any node.
var clockScript = redis.NewScript(`return redis.call('TIME')`)

// streamTime is the clock of the command stream's Redis node.
func streamTime(ctx context.Context, rdb redis.Scripter) (time.Time, error) {
	v, err := clockScript.Run(ctx, rdb, []string{CommandStream}).Int64Slice()
	if err != nil {
		return time.Time{}, err
	}
	if len(v) != 2 {
		return time.Time{}, fmt.Errorf("streamcmd: TIME answered %d values", len(v))
	}
	return time.Unix(v[0], v[1]*1000), nil
}

// clockRefresh is how often Redis's clock is read again.
const clockRefresh = time.Second

// redisNow is Redis's clock now, so that command ages do not depend on this
// host's clock; this host's (corrected by the last offset read) if Redis
// fails. It errs late, never early: the offset is taken against this
// host's time before the TIME call, so a command is never taken for
// younger than it is.
func (c *Consumer) redisNow(ctx context.Context) time.Time {
	k := &c.clock
	k.mu.Lock()
	if !k.read.IsZero() && time.Since(k.read) < clockRefresh {
		now := time.Now().Add(k.offset)
		k.mu.Unlock()
		return now
	}
	k.mu.Unlock()
	tctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	before := time.Now()
	t, err := streamTime(tctx, c.rdb)
	k.mu.Lock()
	defer k.mu.Unlock()
	if err == nil {
		k.offset, k.read = t.Sub(before), before
	}
	return time.Now().Add(k.offset)
}
