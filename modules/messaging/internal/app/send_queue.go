package app

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// Defaults of the send queue (Options.SendSlots, Options.SendBatch). Two
// slots measured best on a 2-core host with 8 concurrent senders
// (parallel BenchmarkSendMessage: about 1700-1900 msgs/s against 1300-1450
// with one slot and 900-1350 with four): fewer slots make bigger batches,
// but one leaves the database idle while a commit flushes.
const (
	DefaultSendSlots = 2
	DefaultSendBatch = 100
	// sendQueueTimeout bounds one coalesced batch: it runs detached from
	// the callers' contexts (one caller leaving must not fail the others).
	sendQueueTimeout = 30 * time.Second
)

// sendQueue coalesces concurrent single sends (REST) into SendMessages
// batches by natural batching, with no timer: at most slots batches run at
// once; a send that finds a free slot runs at once (alone, at the cost of
// SendMessage), and sends that arrive while every slot is busy gather into
// the next batch (up to max), which runs as soon as a slot frees. So an
// idle api adds no latency and a busy one pays one commit per batch.
//
// Invariants: a batch is open (joinable) from its first send until its
// leader, that first send's goroutine, takes a slot or the batch is full;
// open is the only open batch; a closed batch's reqs never change; each
// caller reads only its own result, after done is closed.
type sendQueue struct {
	run   func(context.Context, []SendRequest) []SendResult
	slots chan struct{} // one token per running batch
	max   int

	mu   sync.Mutex
	open *queuedBatch
}

type queuedBatch struct {
	reqs []SendRequest
	full chan struct{} // closed when reqs reaches max (and the batch closes)
	done chan struct{} // closed when res is set
	res  []SendResult
}

func newSendQueue(run func(context.Context, []SendRequest) []SendResult, slots, max int) *sendQueue {
	return &sendQueue{run: run, slots: make(chan struct{}, slots), max: max}
}

// send queues r and returns its result. If ctx ends first, send returns
// ctx's error, but the message may still be stored (as with a request cut
// off mid-commit): a ClientMsgID makes the retry safe.
func (q *sendQueue) send(ctx context.Context, r SendRequest) SendResult {
	q.mu.Lock()
	b, leader := q.open, q.open == nil
	if leader {
		b = &queuedBatch{full: make(chan struct{}), done: make(chan struct{})}
		q.open = b
	}
	i := len(b.reqs)
	b.reqs = append(b.reqs, r)
	if len(b.reqs) == q.max {
		q.open = nil
		close(b.full)
	}
	q.mu.Unlock()

	if leader {
		// The leader runs the batch whatever happens to its own caller:
		// the others are waiting on it.
		go q.lead(context.WithoutCancel(ctx), b)
	}
	select {
	case <-b.done:
		return b.res[i]
	case <-ctx.Done():
		return SendResult{Err: ctx.Err()}
	}
}

// lead waits for a slot (the batch fills meanwhile), closes the batch and
// runs it.
func (q *sendQueue) lead(ctx context.Context, b *queuedBatch) {
	select {
	case q.slots <- struct{}{}:
	case <-b.full:
		q.slots <- struct{}{}
	}
	q.mu.Lock()
	if q.open == b {
		q.open = nil
	}
	reqs := b.reqs
	q.mu.Unlock()
	// The slot is free before done closes, so a caller that got its result
	// finds the queue idle again.
	defer close(b.done)
	defer func() { <-q.slots }()
	defer func() {
		// This goroutine has no recovery middleware above it.
		if p := recover(); p != nil {
			b.res = make([]SendResult, len(reqs))
			for i := range b.res {
				b.res[i].Err = fmt.Errorf("messaging: send batch panicked: %v", p)
			}
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, sendQueueTimeout)
	defer cancel()
	b.res = q.run(ctx, reqs)
}

// SendQueued is SendMessage for callers that each send one message
// concurrently (REST): the same outcome, with concurrent sends stored
// together in SendMessages batches when the api is busy (see sendQueue).
func (a *App) SendQueued(ctx context.Context, userID string, in SendInput) (domain.Message, bool, error) {
	if len(in.AttachmentIDs) > 0 {
		// The single path: it claims the uploads in the message's
		// transaction (the batch statements do not).
		return a.SendMessage(ctx, userID, in)
	}
	r := a.queue.send(ctx, SendRequest{UserID: userID, Input: in})
	return r.Message, r.Created, r.Err
}
