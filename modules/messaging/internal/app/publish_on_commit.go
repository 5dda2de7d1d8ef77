package app

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

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
	pub Publisher
	out PublishedOutbox
	o   CommitPublisherOptions

	mu      sync.Mutex
	pending []int64       // outbox ids published, to remove
	ready   chan struct{} // capacity 1: pending is not empty
}

// NewCommitPublisher returns a CommitPublisher; Run removes what it
// published from the outbox.
func NewCommitPublisher(pub Publisher, out PublishedOutbox, o CommitPublisherOptions) *CommitPublisher {
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

// Publish publishes recs, just committed, on the caller's goroutine (the
// sender is answered after it: a message acked is already in its stream,
// unless this failed). It never fails the caller: on an error the records
// stay in the outbox for the relay.
func (c *CommitPublisher) Publish(ctx context.Context, recs []domain.Record) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.o.Timeout)
	defer cancel()
	if err := c.pub.Publish(ctx, recs); err != nil {
		c.o.Log.WarnContext(ctx, "messaging: publishing on commit failed; the outbox relay will", "events", len(recs), "err", err)
		return
	}
	if c.o.ObservePublish != nil {
		now := time.Now()
		for _, r := range recs {
			if !r.At.IsZero() {
				c.o.ObservePublish(now.Sub(r.At))
			}
		}
	}
	c.mu.Lock()
	if len(c.pending)+len(recs) <= c.o.MaxPending {
		for _, r := range recs {
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
