package hub

import "time"

// Join is a join-room in flight on one connection. Between BeginJoin and
// Complete (or Abort) the room's live frames are held back on the
// connection, so that the replayed history, the ack and the live frames go
// out in that order with no gap and no duplicate:
//
//  1. BeginJoin files the connection under the room and marks it pending,
//     before the command is sent: any event committed after the api reads
//     the room's lastSeq reaches the hub after this point and is held.
//  2. Complete writes the replayed messages (those not already delivered
//     on this connection), then the ack, then the held frames with a seq
//     above everything delivered, and clears pending - all of the last
//     three under the connection's lock, so no live frame slips in between.
//
// A Join is used by the connection's own reader goroutine only.
type Join struct {
	h     *Hub
	c     *Conn
	room  string
	st    *roomState
	fresh bool // the room was not joined before
}

// Replayed is one history message to write on Complete.
type Replayed struct {
	Seq   int64
	Frame []byte
}

// PaceTimeout bounds how long a replay waits for a connection to drain its
// queue before the connection is dropped as too slow.
const PaceTimeout = 10 * time.Second

// BeginJoin starts a join of room on c. It returns nil if c is gone.
func (h *Hub) BeginJoin(c *Conn, room string) *Join {
	h.rooms.add(room, c)
	c.mu.Lock()
	if c.gone {
		c.mu.Unlock()
		h.rooms.remove(room, c)
		return nil
	}
	st := c.rooms[room]
	fresh := st == nil
	if fresh {
		st = &roomState{from: -1}
		c.rooms[room] = st
	}
	st.pending = true
	c.mu.Unlock()
	return &Join{h: h, c: c, room: room, st: st, fresh: fresh}
}

// Complete finishes a successful join. replay holds the missed messages in
// seq order (all <= lastSeq, the room's newest seq when the api answered);
// clientLastSeq is the client's lastSeq (nil: no history asked). ack is
// written after the replay and before the held live frames. It returns
// false when the join lost a race with a leave or a membership removal,
// or the connection was dropped: the caller then answers with an error.
func (j *Join) Complete(replay []Replayed, lastSeq int64, clientLastSeq *int64, ack []byte) bool {
	c := j.c
	c.mu.Lock()
	if c.rooms[j.room] != j.st {
		c.mu.Unlock()
		return false
	}
	prevFrom, prevLast := j.st.from, j.st.last
	c.mu.Unlock()

	// Replay outside the lock: pacing may wait for the client to read, and
	// live frames of this room are held meanwhile anyway.
	delivered := func(seq int64) bool { return !j.fresh && prevFrom >= 0 && seq > prevFrom && seq <= prevLast }
	maxSeq := lastSeq
	for _, m := range replay {
		if delivered(m.Seq) {
			continue
		}
		if !j.pace() || !c.Send(m.Frame) {
			return false
		}
		j.h.framesOut(1)
		maxSeq = max(maxSeq, m.Seq)
	}
	if !j.pace() {
		return false
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rooms[j.room] != j.st {
		return false
	}
	st := j.st
	switch {
	case clientLastSeq != nil:
		from := min(*clientLastSeq, maxSeq)
		if !j.fresh && prevFrom >= 0 {
			from = min(from, prevFrom)
		}
		st.from, st.last = from, max(prevLast, maxSeq)
	case j.fresh:
		st.from, st.last = maxSeq, maxSeq
	default:
		// A re-join without history changes nothing: frames still in
		// flight since the first join must not be skipped.
	}
	c.Send(ack)
	j.flushLocked()
	return true
}

// Abort ends a failed join. remove forgets the room even if it was joined
// before (the user may no longer see it); otherwise a previous join stays
// and the frames held meanwhile are delivered.
func (j *Join) Abort(remove bool) {
	c := j.c
	c.mu.Lock()
	if c.rooms[j.room] != j.st {
		c.mu.Unlock()
		return
	}
	if j.fresh || remove {
		delete(c.rooms, j.room)
		c.mu.Unlock()
		j.h.rooms.remove(j.room, c)
		return
	}
	j.flushLocked()
	c.mu.Unlock()
}

// flushLocked writes the held frames that are new and ends pending. Caller
// holds c.mu.
func (j *Join) flushLocked() {
	st := j.st
	n := 0
	for _, p := range st.buf {
		if j.c.advance(st, p.seq, p.frame) {
			n++
		}
	}
	clear(st.buf)
	st.buf = st.buf[:0]
	st.pending = false
	j.h.framesOut(n)
}

// pace waits until the connection's queue is at most half the send limit,
// so a long replay never overflows it while the client is reading. A client
// that does not read for PaceTimeout is dropped.
func (j *Join) pace() bool {
	limit := int64(j.h.cfg.SendLimit / 2)
	deadline := time.Now().Add(PaceTimeout)
	for j.c.depth.Load() > limit {
		if j.c.Dropped() || time.Now().After(deadline) {
			j.c.Drop()
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
	return !j.c.Dropped()
}
