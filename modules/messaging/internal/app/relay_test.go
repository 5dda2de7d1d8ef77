package app_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/chatforge/chat/modules/messaging/internal/app"
	"github.com/chatforge/chat/modules/messaging/internal/domain"
	"github.com/chatforge/chat/modules/messaging/messagingtest"
)

// flakyPublisher fails its first calls, then records what it publishes.
type flakyPublisher struct {
	mu    sync.Mutex
	fails int
	got   []domain.Record
}

func (p *flakyPublisher) Publish(_ context.Context, recs []domain.Record) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fails > 0 {
		p.fails--
		return errors.New("redis unavailable")
	}
	p.got = append(p.got, recs...)
	return nil
}

func (p *flakyPublisher) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.got)
}

func TestRelayRetriesUntilPublishedInOrder(t *testing.T) {
	store := messagingtest.NewStore()
	a := app.New(store.Ports(), app.Options{})
	u := store.AddUser()
	for range 7 {
		if _, _, err := a.SendMessage(t.Context(), u, app.SendInput{Content: "hi"}); err != nil {
			t.Fatal(err)
		}
	}
	pub := &flakyPublisher{fails: 3}
	relay := a.Relay(store, pub, app.RelayOptions{Batch: 3, MinIdle: time.Millisecond, MaxBackoff: 5 * time.Millisecond})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- relay.Run(ctx) }()

	deadline := time.Now().Add(5 * time.Second)
	for pub.count() < 7 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	// A commit while the relay idles is picked up (woken or polled).
	if _, _, err := a.SendMessage(t.Context(), u, app.SendInput{Content: "late"}); err != nil {
		t.Fatal(err)
	}
	for pub.count() < 8 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil on cancel", err)
	}
	if pub.count() != 8 || len(store.Pending()) != 0 {
		t.Fatalf("published %d, pending %d; want 8 and 0", pub.count(), len(store.Pending()))
	}
	for i, r := range pub.got {
		if r.OutboxID != int64(i+1) {
			t.Errorf("record %d has outbox id %d: out of order", i, r.OutboxID)
		}
	}
}

// commitFailOutbox publishes its records and then fails to commit, once;
// the second drain marks a takeover.
type commitFailOutbox struct {
	mu    sync.Mutex
	calls int
}

func (o *commitFailOutbox) Drain(ctx context.Context, _ int, publish func(context.Context, []domain.Record) error) (int, error) {
	o.mu.Lock()
	o.calls++
	call := o.calls
	o.mu.Unlock()
	recs := []domain.Record{{OutboxID: 1, EventID: "e1", RoomID: "r"}}
	switch call {
	case 1:
		if err := publish(ctx, recs); err != nil {
			return 0, err
		}
		return 0, errors.New("commit failed")
	case 2:
		return 1, publish(app.WithTakeover(ctx), recs)
	case 3:
		return 1, publish(ctx, recs)
	}
	return 0, nil
}

type suspectPublisher struct {
	mu       sync.Mutex
	suspects []int // Publish calls so far at each Suspect
	calls    int
}

func (p *suspectPublisher) Publish(context.Context, []domain.Record) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	return nil
}

func (p *suspectPublisher) Suspect() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.suspects = append(p.suspects, p.calls)
}

// A drain whose commit fails after publishing, and a drain after a
// takeover, make the publisher check the streams before its next publish;
// a normal drain does not.
func TestRelayMarksPublisherSuspect(t *testing.T) {
	store := messagingtest.NewStore()
	a := app.New(store.Ports(), app.Options{})
	pub := &suspectPublisher{}
	relay := a.Relay(&commitFailOutbox{}, pub, app.RelayOptions{MinIdle: time.Millisecond, MaxBackoff: time.Millisecond})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- relay.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		pub.mu.Lock()
		calls := pub.calls
		pub.mu.Unlock()
		if calls >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	cancel()
	<-done
	pub.mu.Lock()
	defer pub.mu.Unlock()
	// After call 1's failed commit (1 call so far), and before call 2
	// (takeover, still 1 call so far).
	if fmt.Sprint(pub.suspects) != "[1 1]" {
		t.Errorf("Suspect calls at publish counts %v, want [1 1]", pub.suspects)
	}
}

// cappedOutbox fails every drain of more than limit records, as a
// statement timeout does when PostgreSQL is too busy for a big batch.
type cappedOutbox struct {
	app.Outbox
	limit int
	mu    sync.Mutex
	asked []int
}

func (o *cappedOutbox) Drain(ctx context.Context, n int, publish func(context.Context, []domain.Record) error) (int, error) {
	o.mu.Lock()
	o.asked = append(o.asked, n)
	o.mu.Unlock()
	if n > o.limit {
		return 0, errors.New("canceling statement due to statement timeout")
	}
	return o.Outbox.Drain(ctx, n, publish)
}

// A drain that fails at the configured batch must not be retried as is
// (it would fail forever): the relay halves the batch until drains succeed,
// and publishes everything, in order.
func TestRelayHalvesBatchUntilDrainsSucceed(t *testing.T) {
	store := messagingtest.NewStore()
	a := app.New(store.Ports(), app.Options{})
	u := store.AddUser()
	const sent = 40
	for range sent {
		if _, _, err := a.SendMessage(t.Context(), u, app.SendInput{Content: "hi"}); err != nil {
			t.Fatal(err)
		}
	}
	out := &cappedOutbox{Outbox: store, limit: 5}
	pub := &flakyPublisher{}
	relay := a.Relay(out, pub, app.RelayOptions{Batch: 64, MinIdle: time.Millisecond, MaxBackoff: time.Millisecond})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- relay.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for pub.count() < sent && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	if pub.count() != sent || len(store.Pending()) != 0 {
		t.Fatalf("published %d, pending %d; want %d and 0 (asked %v)", pub.count(), len(store.Pending()), sent, out.asked)
	}
	for i, r := range pub.got {
		if r.OutboxID != int64(i+1) {
			t.Fatalf("record %d has outbox id %d: out of order", i, r.OutboxID)
		}
	}
	if out.asked[0] != 64 || out.asked[1] != 32 {
		t.Errorf("batches asked %v: want 64, then 32 after the failure", out.asked[:2])
	}
}
