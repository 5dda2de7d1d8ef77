package app_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chatforge/chat/modules/messaging/internal/app"
	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// appendingPublisher appends every record.
type appendingPublisher struct{}

func (appendingPublisher) PublishFresh(_ context.Context, recs []domain.Record, _ map[string]int64) ([]domain.Publication, error) {
	st := make([]domain.Publication, len(recs))
	for i := range st {
		st[i] = domain.Appended
	}
	return st, nil
}

// removals records each RemovePublished call.
type removals struct {
	mu    sync.Mutex
	calls [][]int64
	made  chan struct{}
}

func (r *removals) RemovePublished(_ context.Context, ids []int64) error {
	r.mu.Lock()
	r.calls = append(r.calls, slices.Clone(ids))
	r.mu.Unlock()
	r.made <- struct{}{}
	return nil
}

func (r *removals) UnpublishedFloor(context.Context, []string) (map[string]int64, error) {
	return nil, nil
}

// Published records are removed from the outbox in one statement per
// RemoveEvery, not one per publish: what is published while a removal
// waits for its turn joins it.
func TestCommitPublisherCoalescesRemovals(t *testing.T) {
	out := &removals{made: make(chan struct{}, 10)}
	c := app.NewCommitPublisher(appendingPublisher{}, out, app.CommitPublisherOptions{RemoveEvery: time.Second})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	rec := func(id int64) []domain.Record {
		return []domain.Record{{OutboxID: id, RoomID: "r", Seq: id, Type: domain.EventMessageCreated}}
	}
	wait := func() {
		t.Helper()
		select {
		case <-out.made:
		case <-time.After(5 * time.Second):
			t.Fatal("no removal")
		}
	}

	c.Publish(t.Context(), rec(1))
	wait()
	// The next removal may not run before a second after the first: these
	// three publishes, made at once, are removed together.
	for id := int64(2); id <= 4; id++ {
		c.Publish(t.Context(), rec(id))
	}
	wait()
	out.mu.Lock()
	defer out.mu.Unlock()
	want := [][]int64{{1}, {2, 3, 4}}
	if len(out.calls) != 2 || !slices.Equal(out.calls[0], want[0]) || !slices.Equal(out.calls[1], want[1]) {
		t.Fatalf("removals %v, want %v", out.calls, want)
	}
}
