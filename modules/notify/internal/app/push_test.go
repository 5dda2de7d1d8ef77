package app

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/chatforge/chat/modules/notify/internal/domain"
	"github.com/chatforge/chat/modules/notify/notifytest"
)

type fakePending struct {
	msgs    map[string]domain.PendingMessage
	settled []int64
	locked  bool
}

func (p *fakePending) Lock(context.Context, string, string, time.Duration) (func(), error) {
	if p.locked {
		return nil, nil
	}
	p.locked = true
	return func() { p.locked = false }, nil
}

func (p *fakePending) Add(_ context.Context, u, r string, m domain.PendingMessage) error {
	cur := p.msgs[u+r]
	m.Count = cur.Count + 1
	p.msgs[u+r] = m
	return nil
}

func (p *fakePending) Peek(_ context.Context, u, r string) (domain.PendingMessage, bool, error) {
	m, ok := p.msgs[u+r]
	return m, ok, nil
}

func (p *fakePending) Settle(_ context.Context, u, r string, seq int64, _ int) error {
	p.settled = append(p.settled, seq)
	delete(p.msgs, u+r)
	return nil
}

type fakeSched struct{ at []time.Time }

func (s *fakeSched) Schedule(_ context.Context, _, _ string, at time.Time) error {
	s.at = append(s.at, at)
	return nil
}

type fakeLimiter struct{ deny bool }

func (l fakeLimiter) Allow(context.Context, string) (bool, time.Duration, error) {
	if l.deny {
		return false, 20 * time.Second, nil
	}
	return true, 0, nil
}

type fakeSubs struct{ subs []domain.Subscription }

func (s *fakeSubs) Deliverable(context.Context, string) ([]domain.Subscription, error) {
	return s.subs, nil
}
func (s *fakeSubs) MarkSuccess(context.Context, string, time.Time) error { return nil }
func (s *fakeSubs) Delete(_ context.Context, _, id string) error {
	for i, x := range s.subs {
		if x.ID == id {
			s.subs = append(s.subs[:i], s.subs[i+1:]...)
			return nil
		}
	}
	return domain.ErrNotFound
}

// fakePusher answers per subscription id.
type fakePusher struct {
	errs map[string]error
	got  map[string][]byte
}

func (p *fakePusher) Push(_ context.Context, s domain.Subscription, payload []byte, _ string) error {
	if err := p.errs[s.ID]; err != nil {
		return err
	}
	p.got[s.ID] = payload
	return nil
}

type fakeDir struct{}

func (fakeDir) Names(context.Context, string, string) (string, string, error) {
	return "room", "Ann", nil
}

func (fakeDir) ReadSeq(context.Context, string, string) (int64, error) { return 0, nil }

type fixture struct {
	pending *fakePending
	online  *notifytest.Online
	sched   *fakeSched
	subs    *fakeSubs
	pusher  *fakePusher
	now     time.Time
}

func newFixture() *fixture {
	return &fixture{
		pending: &fakePending{msgs: map[string]domain.PendingMessage{}},
		online:  &notifytest.Online{}, sched: &fakeSched{},
		subs:   &fakeSubs{subs: []domain.Subscription{{ID: "s1"}, {ID: "s2"}}},
		pusher: &fakePusher{errs: map[string]error{}, got: map[string][]byte{}},
		now:    time.Date(2026, 1, 1, 12, 0, 0, 300e6, time.UTC),
	}
}

func (f *fixture) deliverer(deny bool) *Deliverer {
	return NewDeliverer(f.pending, f.online, fakeLimiter{deny}, f.subs, f.pusher, fakeDir{}, fakeDir{}, f.sched,
		func() time.Time { return f.now }, slog.New(slog.DiscardHandler))
}

type staticRecipients []string

func (r staticRecipients) PushRecipients(context.Context, string, string) ([]string, error) {
	return r, nil
}

func TestFanOutCollapsesPerWindowAndSkipsOnline(t *testing.T) {
	f := newFixture()
	f.online.Set("carol", true)
	fo := NewFanOut(staticRecipients{"bob", "carol"}, f.online, f.pending, f.sched, time.Second,
		func() time.Time { return f.now }, slog.New(slog.DiscardHandler))
	for i := range 3 {
		if err := fo.Message(context.Background(), "r", domain.PendingMessage{Seq: int64(i + 1)}); err != nil {
			t.Fatal(err)
		}
	}
	if m := f.pending.msgs["bobr"]; m.Count != 3 || m.Seq != 3 {
		t.Errorf("bob's pending %+v, want count 3 seq 3", m)
	}
	if _, ok := f.pending.msgs["carolr"]; ok {
		t.Error("online carol has a pending push")
	}
	want := time.Date(2026, 1, 1, 12, 0, 1, 0, time.UTC) // the end of the window
	for _, at := range f.sched.at {
		if !at.Equal(want) {
			t.Errorf("scheduled at %v, want the window end %v", at, want)
		}
	}
}

func TestDeliverRemovesGoneAndSettles(t *testing.T) {
	f := newFixture()
	f.pending.msgs["bobr"] = domain.PendingMessage{Seq: 7, Count: 2, Content: "hi"}
	f.pusher.errs["s2"] = domain.ErrGone
	res, err := f.deliverer(false).Deliver(context.Background(), "bob", "r")
	if err != nil || res.Sent != 1 || res.Gone != 1 {
		t.Fatalf("res %+v err %v", res, err)
	}
	if len(f.subs.subs) != 1 || f.subs.subs[0].ID != "s1" {
		t.Errorf("subscriptions after a 410: %+v", f.subs.subs)
	}
	if len(f.pending.settled) != 1 || f.pending.settled[0] != 7 {
		t.Errorf("settled %v, want [7]", f.pending.settled)
	}
}

func TestDeliverTransientFailureKeepsPending(t *testing.T) {
	f := newFixture()
	f.pending.msgs["bobr"] = domain.PendingMessage{Seq: 1, Count: 1}
	f.pusher.errs["s1"], f.pusher.errs["s2"] = errors.New("503"), errors.New("timeout")
	if _, err := f.deliverer(false).Deliver(context.Background(), "bob", "r"); err == nil {
		t.Fatal("want an error so the task retries")
	}
	if _, ok := f.pending.msgs["bobr"]; !ok {
		t.Error("pending record settled although nothing was delivered")
	}
}

func TestDeliverRateLimitedReschedules(t *testing.T) {
	f := newFixture()
	f.pending.msgs["bobr"] = domain.PendingMessage{Seq: 1, Count: 1}
	res, err := f.deliverer(true).Deliver(context.Background(), "bob", "r")
	if err != nil || res.Outcome != "rate_limited" || len(f.pusher.got) != 0 {
		t.Fatalf("res %+v err %v pushes %d", res, err, len(f.pusher.got))
	}
	if len(f.sched.at) != 1 || !f.sched.at[0].Equal(f.now.Add(20*time.Second)) {
		t.Errorf("rescheduled at %v, want now+retryAfter", f.sched.at)
	}
}

func TestDeliverSkipsUserWhoCameOnline(t *testing.T) {
	f := newFixture()
	f.pending.msgs["bobr"] = domain.PendingMessage{Seq: 4, Count: 1}
	f.online.Set("bob", true)
	res, err := f.deliverer(false).Deliver(context.Background(), "bob", "r")
	if err != nil || res.Outcome != "online" || len(f.pusher.got) != 0 || len(f.pending.settled) != 1 {
		t.Fatalf("res %+v err %v pushes %d settled %v", res, err, len(f.pusher.got), f.pending.settled)
	}
}

func TestDeliverWhileAnotherDeliveryRunsComesBack(t *testing.T) {
	f := newFixture()
	f.pending.msgs["bobr"] = domain.PendingMessage{Seq: 1, Count: 1}
	f.pending.locked = true
	res, err := f.deliverer(false).Deliver(context.Background(), "bob", "r")
	if err != nil || res.Outcome != "busy" || len(f.pusher.got) != 0 || len(f.sched.at) != 1 {
		t.Fatalf("res %+v err %v pushes %d scheduled %v", res, err, len(f.pusher.got), f.sched.at)
	}
}
