package app

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// FreshPublisher appends records just committed (message.created, each
// with its Seq) to the streams, in each room's seq order, and says what
// became of each (domain.Publication). A room new to the streams starts
// only at seq 1 or at starts[room]; its other records come back
// UnknownRoom.
type FreshPublisher interface {
	PublishFresh(ctx context.Context, recs []domain.Record, starts map[string]int64) ([]domain.Publication, error)
}

// PublishedOutbox is the outbox as the committers see it.
type PublishedOutbox interface {
	// RemovePublished forgets records their committer published.
	RemovePublished(ctx context.Context, outboxIDs []int64) error
	// UnpublishedFloor returns, for each room, the lowest seq of its
	// message.created records still in the outbox (absent: none).
	UnpublishedFloor(ctx context.Context, rooms []string) (map[string]int64, error)
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
	// RemoveEvery spaces the removals of published records from the
	// outbox: at most one statement per interval, for all that is
	// pending; 100ms. Under load a removal per publish was a statement
	// per batch on the database's core; the relay's grace (seconds) leaves
	// the records alone meanwhile.
	RemoveEvery time.Duration
	Log         *slog.Logger
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
	if o.RemoveEvery <= 0 {
		o.RemoveEvery = 100 * time.Millisecond
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
	st, err := c.pub.PublishFresh(ctx, recs, nil)
	if err == nil {
		err = c.startRooms(ctx, recs, st)
	}
	if err != nil {
		c.o.Log.WarnContext(ctx, "messaging: publishing on commit failed; the outbox relay will", "events", len(recs), "err", err)
		return
	}
	now := time.Now()
	c.mu.Lock()
	for i, r := range recs {
		if st[i] != domain.Appended && st[i] != domain.Duplicate {
			continue // parked or unknown: the relay settles it after its grace
		}
		if c.o.ObservePublish != nil && !r.At.IsZero() && st[i] == domain.Appended {
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

// startRooms publishes again, updating st, the records whose rooms were new
// to the streams (Redis restarted, the room was idle, or it is new), each
// room starting at its lowest seq still in the outbox: every seq below it
// was published (its record is gone), and the ones from it on are pending,
// published in order as their committers or the relay bring them. Rare:
// once per room after the streams lost track of it.
func (c *CommitPublisher) startRooms(ctx context.Context, recs []domain.Record, st []domain.Publication) error {
	var (
		idx   []int
		rooms []string
		seen  = map[string]bool{}
	)
	for i, s := range st {
		if s != domain.UnknownRoom {
			continue
		}
		idx = append(idx, i)
		if r := recs[i].RoomID; !seen[r] {
			seen[r] = true
			rooms = append(rooms, r)
		}
	}
	if len(idx) == 0 {
		return nil
	}
	// What this process published and has not removed yet would read as
	// unpublished: remove it first (another api's few milliseconds of
	// such records only make a room wait for the relay's grace).
	c.mu.Lock()
	done := c.pending
	c.pending = nil
	c.mu.Unlock()
	if len(done) > 0 {
		if err := c.out.RemovePublished(ctx, done); err != nil {
			return err
		}
	}
	floor, err := c.out.UnpublishedFloor(ctx, rooms)
	if err != nil {
		return err
	}
	again := make([]domain.Record, len(idx))
	for k, i := range idx {
		again[k] = recs[i]
		// The record itself is in the outbox, so the floor is at most its
		// seq; a floor missing or above it (a removal raced the read)
		// starts the room at the record.
		if f, ok := floor[recs[i].RoomID]; !ok || f > recs[i].Seq {
			floor[recs[i].RoomID] = recs[i].Seq
		}
	}
	st2, err := c.pub.PublishFresh(ctx, again, floor)
	if err != nil {
		return err
	}
	for k, i := range idx {
		st[i] = st2[k]
	}
	return nil
}

// Run removes published records from the outbox until ctx is done, all
// that is pending in one statement at most every RemoveEvery, off the path
// of the sends. A failed removal is not retried: the relay publishes those
// records again after its grace and the streams drop them.
func (c *CommitPublisher) Run(ctx context.Context) error {
	var last time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-c.ready:
		}
		if wait := c.o.RemoveEvery - time.Since(last); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil
			case <-t.C:
			}
		}
		last = time.Now()
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
