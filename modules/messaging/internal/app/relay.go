package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// Outbox is the store side of the event relay.
type Outbox interface {
	// Drain, in one transaction: takes the relay lock (returns 0, nil at
	// once when another relay holds it), reads up to n pending records in
	// outbox id order, calls publish with them and, only if publish
	// succeeds, marks them published. On a publish error nothing is marked
	// and the error is returned: the records stay pending, in order.
	Drain(ctx context.Context, n int, publish func(context.Context, []domain.Record) error) (int, error)
}

// Publisher appends records to the event streams, in the given order.
type Publisher interface {
	Publish(ctx context.Context, recs []domain.Record) error
}

// Suspecter is a Publisher that can be told its next records may already
// be in the streams (it then skips those), as after a drain that published
// and failed to commit, or a takeover from another relay.
type Suspecter interface {
	Suspect()
}

type takeoverKey struct{}

// WithTakeover is what an Outbox passes to publish when this relay took
// the relay lock after another holder (which may have published records
// and died before committing them).
func WithTakeover(ctx context.Context) context.Context {
	return context.WithValue(ctx, takeoverKey{}, true)
}

// Takeover reports whether ctx is marked by WithTakeover.
func Takeover(ctx context.Context) bool { v, _ := ctx.Value(takeoverKey{}).(bool); return v }

// RelayOptions tune the relay; zero values take the defaults noted.
type RelayOptions struct {
	Batch      int           // most records per transaction; 500
	SlowDrain  time.Duration // a drain slower than this halves the batch; 250ms
	MinIdle    time.Duration // first poll delay when idle; 20ms
	MaxIdle    time.Duration // idle polls back off to this; 200ms
	MaxBackoff time.Duration // retry delay cap after errors; 2s
	Log        *slog.Logger
	// ObservePublish, when set, is told for each published record how long
	// ago its change was recorded (Record.At).
	ObservePublish func(time.Duration)
}

// Relay moves outbox records to the streams. Several processes may run one:
// the store's lock lets only one drain at a time, which keeps each room's
// events in order on its stream.
type Relay struct {
	out  Outbox
	pub  Publisher
	o    RelayOptions
	kick <-chan struct{}
	now  func() time.Time
}

// Relay builds the relay of this App: it is woken at once by the App's
// commits and polls for other processes' ones.
func (a *App) Relay(out Outbox, pub Publisher, o RelayOptions) *Relay {
	if o.Batch <= 0 {
		o.Batch = 500
	}
	if o.SlowDrain <= 0 {
		o.SlowDrain = 250 * time.Millisecond
	}
	if o.MinIdle <= 0 {
		o.MinIdle = 20 * time.Millisecond
	}
	if o.MaxIdle < o.MinIdle {
		o.MaxIdle = max(200*time.Millisecond, o.MinIdle)
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 2 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Relay{out: out, pub: pub, o: o, kick: a.kick, now: a.now}
}

// Run relays until ctx is done, then returns nil. Store and Redis errors
// never end it: it logs them and retries with backoff, so events stored
// during an outage are published, in order, once Redis is back.
//
// The batch adapts: a failed drain (a statement timeout, a busy database)
// or a slow one halves it, down to one record, so the retry asks for less
// than what failed instead of repeating what can only fail again; a full
// batch drained quickly doubles it, up to Batch.
func (r *Relay) Run(ctx context.Context) error {
	idle, backoff, batch := r.o.MinIdle, time.Duration(0), r.o.Batch
	for ctx.Err() == nil {
		start := r.now()
		n, err := r.drain(ctx, batch)
		took := r.now().Sub(start)
		switch {
		case err != nil || took > r.o.SlowDrain:
			batch = max(batch/2, 1)
		case n == batch && took < r.o.SlowDrain/4:
			batch = min(2*batch, r.o.Batch)
		}
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			backoff = min(max(2*backoff, 50*time.Millisecond), r.o.MaxBackoff)
			r.o.Log.WarnContext(ctx, "messaging: outbox relay failed; retrying", "err", err, "retry_in", backoff,
				"batch", batch)
			sleep(ctx, backoff, nil)
			continue
		case backoff > 0:
			r.o.Log.InfoContext(ctx, "messaging: outbox relay recovered", "published", n)
			backoff = 0
		}
		if n > 0 {
			idle = r.o.MinIdle
			continue // more may be pending
		}
		if sleep(ctx, idle, r.kick) {
			idle = r.o.MinIdle
		} else {
			idle = min(2*idle, r.o.MaxIdle)
		}
	}
	return nil
}

// drain runs one Drain. A takeover, or a commit that failed after the
// records were published, makes the Publisher check the streams first
// next time (those records are published again).
func (r *Relay) drain(ctx context.Context, batch int) (int, error) {
	s, _ := r.pub.(Suspecter)
	published := false
	n, err := r.out.Drain(ctx, batch, func(ctx context.Context, recs []domain.Record) error {
		if s != nil && Takeover(ctx) {
			s.Suspect()
		}
		err := r.pub.Publish(ctx, recs)
		published = err == nil
		if published && r.o.ObservePublish != nil {
			now := r.now()
			for _, rec := range recs {
				if !rec.At.IsZero() {
					r.o.ObservePublish(now.Sub(rec.At))
				}
			}
		}
		return err
	})
	if err != nil && published && s != nil {
		s.Suspect()
	}
	return n, err
}

// sleep waits d, or until kick fires (true) or ctx is done.
func sleep(ctx context.Context, d time.Duration, kick <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-kick:
		return true
	}
	return false
}
