package socket

import (
	"context"
	"sync"
	"time"

	"github.com/chatforge/chat/apps/gateway/internal/protocol"
)

// holdReleases ends the holds of implicit global joins GlobalHold after
// their connect, unless the client's first frame settled them before. Every
// hold lasts the same, so deadlines come in connect order: one queue and
// one goroutine instead of a timer per socket (about 150 bytes each, kept
// for the socket's whole life).
type holdReleases struct {
	mu   sync.Mutex
	q    []heldSocket // in deadline order
	wake chan struct{}
}

type heldSocket struct {
	cl *client
	at time.Time
}

func newHoldReleases() *holdReleases { return &holdReleases{wake: make(chan struct{}, 1)} }

func (h *holdReleases) add(cl *client, at time.Time) {
	h.mu.Lock()
	h.q = append(h.q, heldSocket{cl: cl, at: at})
	first := len(h.q) == 1
	h.mu.Unlock()
	if first {
		select {
		case h.wake <- struct{}{}:
		default:
		}
	}
}

// due takes the holds whose deadline passed at now, and says how long
// until the next one (0: none queued).
func (h *holdReleases) due(now time.Time, dst []heldSocket) ([]heldSocket, time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for n < len(h.q) && !now.Before(h.q[n].at) {
		n++
	}
	dst = append(dst, h.q[:n]...)
	clear(h.q[:n])
	h.q = h.q[n:]
	if len(h.q) == 0 {
		h.q = nil // release the array after a burst of connects
		return dst, 0
	}
	return dst, h.q[0].at.Sub(now)
}

// runHoldReleases releases the holds as they fall due, until ctx ends.
func (g *Gateway) runHoldReleases(ctx context.Context) error {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var batch []heldSocket
	for {
		var wait time.Duration
		batch, wait = g.holds.due(time.Now(), batch[:0])
		for _, hs := range batch {
			if !hs.cl.holdSettled.Load() {
				g.hub.ReleaseHeld(hs.cl.conn, protocol.GlobalRoomID)
			}
		}
		clear(batch)
		if wait <= 0 {
			wait = time.Hour // nothing queued: add wakes us
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return nil
		case <-g.holds.wake:
		case <-timer.C:
		}
	}
}
