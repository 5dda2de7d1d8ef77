package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// gatedRun records the batches it runs; each waits for a token on gate.
// Content "bad" fails alone.
type gatedRun struct {
	gate    chan struct{}
	mu      sync.Mutex
	batches [][]string
}

func (g *gatedRun) run(_ context.Context, reqs []SendRequest) []SendResult {
	<-g.gate
	var contents []string
	out := make([]SendResult, len(reqs))
	for i, r := range reqs {
		contents = append(contents, r.Input.Content)
		if r.Input.Content == "bad" {
			out[i].Err = domain.ErrInvalid
			continue
		}
		out[i] = SendResult{Message: domain.Message{UserID: r.UserID, Content: r.Input.Content}, Created: true}
	}
	g.mu.Lock()
	g.batches = append(g.batches, contents)
	g.mu.Unlock()
	return out
}

func (g *gatedRun) sizes() []int {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []int
	for _, b := range g.batches {
		out = append(out, len(b))
	}
	return out
}

// waitFor polls cond for up to 5s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func (q *sendQueue) queued() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.open == nil {
		return 0
	}
	return len(q.open.reqs)
}

// While the only slot is busy, sends gather into batches of at most max,
// which run in turn; every caller gets its own result.
func TestSendQueueCoalescesWhileBusy(t *testing.T) {
	g := &gatedRun{gate: make(chan struct{})}
	q := newSendQueue(g.run, 1, 3)
	ctx := t.Context()
	results := make(map[string]SendResult)
	var mu sync.Mutex
	var wg sync.WaitGroup
	send := func(content string) {
		wg.Go(func() {
			r := q.send(ctx, SendRequest{UserID: "u", Input: SendInput{Content: content}})
			mu.Lock()
			results[content] = r
			mu.Unlock()
		})
	}
	send("first") // takes the slot at once, then waits on the gate
	waitFor(t, "the first batch to close", func() bool { return q.queued() == 0 && len(q.slots) == 1 })
	// 7 queue behind the busy slot, one at a time: two full batches of 3
	// (each closes as it fills), then one open batch of 1.
	for i, content := range []string{"0", "1", "2", "3", "bad", "5", "6"} {
		send(content)
		want := (i + 1) % 3
		waitFor(t, fmt.Sprintf("send %d to queue", i), func() bool { return q.queued() == want })
	}
	for range 4 {
		g.gate <- struct{}{}
	}
	wg.Wait()
	// The waiting batches take the slot in any order.
	got := g.sizes()
	if slices.Sort(got); !slices.Equal(got, []int{1, 1, 3, 3}) {
		t.Errorf("batch sizes %v, want 1, 3, 3 and 1", got)
	}
	for content, r := range results {
		if content == "bad" {
			if !errors.Is(r.Err, domain.ErrInvalid) {
				t.Errorf("bad send = %+v, want its own error", r)
			}
		} else if r.Err != nil || r.Message.Content != content {
			t.Errorf("send %q = %+v", content, r)
		}
	}
	if len(results) != 8 {
		t.Errorf("%d results, want 8", len(results))
	}
}

// A caller that gives up gets its context's error; the batch it led still
// runs for the others.
func TestSendQueueCallerLeaves(t *testing.T) {
	g := &gatedRun{gate: make(chan struct{})}
	q := newSendQueue(g.run, 1, 10)
	busy := make(chan SendResult)
	go func() { busy <- q.send(t.Context(), SendRequest{Input: SendInput{Content: "busy"}}) }()
	waitFor(t, "the slot to be taken", func() bool { return len(q.slots) == 1 && q.queued() == 0 })

	leaderCtx, cancel := context.WithCancel(t.Context())
	left := make(chan SendResult)
	go func() { left <- q.send(leaderCtx, SendRequest{Input: SendInput{Content: "leader"}}) }()
	waitFor(t, "the leader to queue", func() bool { return q.queued() == 1 })
	follower := make(chan SendResult)
	go func() { follower <- q.send(t.Context(), SendRequest{Input: SendInput{Content: "follower"}}) }()
	waitFor(t, "the follower to queue", func() bool { return q.queued() == 2 })
	cancel()
	if r := <-left; !errors.Is(r.Err, context.Canceled) {
		t.Errorf("leader = %+v, want its context's error", r)
	}
	g.gate <- struct{}{}
	g.gate <- struct{}{}
	if r := <-follower; r.Err != nil || r.Message.Content != "follower" {
		t.Errorf("follower = %+v", r)
	}
	if r := <-busy; r.Err != nil {
		t.Errorf("busy = %+v", r)
	}
	if got := g.sizes(); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("batch sizes %v, want [1 2]", got)
	}
}

// A panicking batch answers each of its callers with an error.
func TestSendQueuePanic(t *testing.T) {
	q := newSendQueue(func(context.Context, []SendRequest) []SendResult { panic("boom") }, 1, 10)
	if r := q.send(t.Context(), SendRequest{}); r.Err == nil {
		t.Error("a panicking batch answered without error")
	}
	if len(q.slots) != 0 {
		t.Error("the slot was not released")
	}
}
