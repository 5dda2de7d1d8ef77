package socket

import (
	"sync"
	"time"

	"github.com/chatforge/chat/apps/gateway/internal/protocol"
)

// frameQueue holds a socket's frames waiting to be handled, in arrival
// order. The reader goroutine decodes and rate-checks each frame, then
// appends it here (or handles it itself when nothing is queued and the
// frame does not wait for the api); a worker goroutine, started when the
// queue turns non-empty and gone once it is empty, handles the queued
// frames one at a time. So a socket's frames are still handled in order,
// one at a time, but its reader keeps reading while a command waits for
// the api: a socket sending faster than the api answers fills its queue
// and has the excess refused at once (unavailable, with a retry hint)
// instead of waiting unseen in the kernel's TCP buffer, and a frame that
// waited here longer than the budget is refused rather than sent late. An
// idle socket holds no goroutine and no queue array.
//
// Whoever holds the turn (the reader while busy is false, else the
// worker) owns the handler state of the client (typing, the hub joins in
// flight); the mutex hands it over.
type frameQueue struct {
	mu     sync.Mutex
	items  []queuedFrame
	busy   bool          // a worker runs
	closed bool          // the socket ended: queue nothing more, the worker stops
	done   chan struct{} // made with the worker, closed when it returns

	// lastTrip is the round trip of the socket's last command (worker
	// only): the frames waiting behind a slow one are refused for their
	// wait, a burst behind fast ones is not.
	lastTrip time.Duration
}

// queuedFrame is a decoded frame waiting for its turn; after, when set,
// runs once it was handled or refused (see client.settleHold).
type queuedFrame struct {
	env   protocol.Envelope
	at    time.Time
	after func()
}

// push appends f unless the queue holds max frames or is closed. start
// says the caller must run a worker (work); full that f was refused.
func (q *frameQueue) push(f queuedFrame, max int) (start, full bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false, false
	}
	if len(q.items) >= max {
		return false, true
	}
	q.items = append(q.items, f)
	if q.busy {
		return false, false
	}
	q.busy = true
	q.done = make(chan struct{})
	return true, false
}

// idle reports whether no worker runs: the reader may then handle a frame
// itself (it is the only one that starts workers).
func (q *frameQueue) idle() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return !q.busy
}

// next takes the oldest frame; ok false means the queue is empty (or
// closed) and the worker must return: busy is cleared under the same lock,
// so a frame pushed after this starts a new worker.
func (q *frameQueue) next() (f queuedFrame, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) == 0 || q.closed {
		q.items = nil // release the array after a burst
		q.busy = false
		close(q.done)
		q.done = nil
		return queuedFrame{}, false
	}
	f = q.items[0]
	q.items[0] = queuedFrame{}
	q.items = q.items[1:]
	return f, true
}

// expire takes the queued frames for the api that have waited longer than
// maxWait at now, leaving the others in order.
func (q *frameQueue) expire(now time.Time, maxWait time.Duration) (out []queuedFrame) {
	q.mu.Lock()
	defer q.mu.Unlock()
	keep := q.items[:0]
	for _, f := range q.items {
		if waitsForAPI(f.env.Event) && now.Sub(f.at) > maxWait {
			out = append(out, f)
		} else {
			keep = append(keep, f)
		}
	}
	clear(q.items[len(keep):])
	q.items = keep
	return out
}

// close queues nothing more and returns the frames not yet started, and
// a channel closed when the running worker (if any) has returned.
func (q *frameQueue) close() (left []queuedFrame, done <-chan struct{}) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	left, q.items = q.items, nil
	if q.busy {
		return left, q.done
	}
	return left, nil
}

// work handles the queued frames in order until the queue is empty.
func (q *frameQueue) work(handle func(queuedFrame)) {
	for {
		f, ok := q.next()
		if !ok {
			return
		}
		handle(f)
	}
}
