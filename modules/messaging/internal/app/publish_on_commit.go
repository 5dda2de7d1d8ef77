package app

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// FreshPublisher appends records just committed (message.created, each
// with its Seq) to the streams, as Publisher does, and reports which of
// them wait in the streams' store for a predecessor (parked): those are
// left in the outbox for the relay to settle.
type FreshPublisher interface {
	PublishFresh(ctx context.Context, recs []domain.Record) (parked []bool, err error)
}

// PublishedOutbox forgets records their committer published.
type PublishedOutbox interface {
	RemovePublished(ctx context.Context, outboxIDs []int64) error
}

// CommitPublisherOptions tune a CommitPublisher; zero values take the
// defaults noted.
type CommitPublisherOptions struct {
	// Timeout bounds one publish, on the path of the sender's ack; 1s. A
	// publish that fails or times out leaves its records to the relay.
	Timeout time.Duration
	// MaxPending bounds the published records waiting to be removed from
	// the outbox; beyond it they are left to the relay (which publishes
	// them again, dropped by the streams); 100,000.
	MaxPending int
	Log        *slog.Logger
	// ObservePublish, when set, is told for each published record how long
	// ago its change was recorded (Record.At).
	ObservePublish func(time.Duration)
}

// CommitPublisher publishes a send's new messages right after their
// commit, from the committing process, instead of leaving them to the
// outbox relay's next drain (one more transaction, and a wait for the
// relay, on the path of every message). The outbox stays the crash-safe
// fallback: the records are committed with the messages, removed from it
// only once published, and the relay publishes what is left after its
// grace. Order and uniqueness per room are the streams' (Publisher: a
// room's messages are appended in seq order, once each, whoever publishes
// them).
type CommitPublisher struct {
	pub FreshPublisher
	out PublishedOutbox
	o   CommitPublisherOptions

	mu      sync.Mutex
	pending []int64       // outbox ids published, to remove
	ready   chan struct{} // capacity 1: pending is not empty
}

// NewCommitPublisher returns a CommitPublisher; Run removes what it
// published from the outbox.
func NewCommitPublisher(pub FreshPublisher, out PublishedOutbox, o CommitPublisherOptions) *CommitPublisher {
	if o.Timeout <= 0 {
		o.Timeout = time.Second
	}
	if o.MaxPending <= 0 {
		o.MaxPending = 100_000
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &CommitPublisher{pub: pub, out: out, o: o, ready: make(chan struct{}, 1)}
}

// Publish publishes recs, just committed, on the caller's goroutine (a
// REST sender is answered after it), or holds them for Flush under a
// context from Defer. It never fails the caller: on an error the records
// stay in the outbox for the relay.
func (c *CommitPublisher) Publish(ctx context.Context, recs []domain.Record) {
	if d, ok := ctx.Value(deferredKey{}).(*Deferred); ok && d.c == c {
		d.add(recs)
		return
	}
	c.publish(ctx, recs)
}

func (c *CommitPublisher) publish(ctx context.Context, recs []domain.Record) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.o.Timeout)
	defer cancel()
	parked, err := c.pub.PublishFresh(ctx, recs)
	if err != nil {
		c.o.Log.WarnContext(ctx, "messaging: publishing on commit failed; the outbox relay will", "events", len(recs), "err", err)
		return
	}
	now := time.Now()
	c.mu.Lock()
	for i, r := range recs {
		if parked[i] {
			continue
		}
		if c.o.ObservePublish != nil && !r.At.IsZero() {
			c.o.ObservePublish(now.Sub(r.At))
		}
		if len(c.pending) < c.o.MaxPending {
			c.pending = append(c.pending, r.OutboxID)
		}
	}
	c.mu.Unlock()
	select {
	case c.ready <- struct{}{}:
	default:
	}
}

// Run removes published records from the outbox until ctx is done, all
// that is pending in one statement, off the path of the sends. A failed
// removal is not retried: the relay publishes those records again after
// its grace and the streams drop them.
func (c *CommitPublisher) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-c.ready:
		}
		c.mu.Lock()
		ids := c.pending
		c.pending = nil
		c.mu.Unlock()
		for len(ids) > 0 {
			n := min(len(ids), 5000)
			rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			if err := c.out.RemovePublished(rctx, ids[:n]); err != nil && ctx.Err() == nil {
				c.o.Log.WarnContext(ctx, "messaging: removing published outbox records failed; the relay will republish them",
					"events", n, "err", err)
			}
			cancel()
			ids = ids[n:]
		}
	}
}

type deferredKey struct{}

// Deferred holds the records committed under a context from Defer until
// Flush publishes them.
type Deferred struct {
	c    *CommitPublisher
	mu   sync.Mutex
	recs []domain.Record
}

// Defer returns ctx marked so that the records committed under it are
// published only by the returned Deferred's Flush. The socket command
// consumer writes the senders' acks first and then publishes, so that a
// sender's ack comes before its own copy of the message, as it did when
// only the relay published.
func (c *CommitPublisher) Defer(ctx context.Context) (context.Context, *Deferred) {
	d := &Deferred{c: c}
	return context.WithValue(ctx, deferredKey{}, d), d
}

// Flush publishes what was committed under the Deferred's context.
func (d *Deferred) Flush(ctx context.Context) {
	d.mu.Lock()
	recs := d.recs
	d.recs = nil
	d.mu.Unlock()
	if len(recs) > 0 {
		d.c.publish(ctx, recs)
	}
}

func (d *Deferred) add(recs []domain.Record) {
	d.mu.Lock()
	d.recs = append(d.recs, recs...)
	d.mu.Unlock()
}
