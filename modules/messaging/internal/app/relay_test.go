package app_test

import (
	"context"
	"errors"
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
