package hub

import "time"

// Join is a join-room in flight on one connection. Between BeginJoin and
// Complete (or Abort) the room's live frames are held back on the
// connection, so that the replayed history, the ack and the live frames go
// out in that order with no gap and no duplicate:
//
//  1. BeginJoin files the connection under the room and marks it pending,
//     before the command is sent: any event committed after the api reads
//     the room's lastSeq reaches the hub after this point and is held. An
//     implicit join still held (JoinHeld: the global room at connect) is
//     taken over with the frames it holds, none of them sent yet.
//  2. Complete writes the replayed messages, then the ack, then the held
//     frames with a seq above everything replayed, and clears pending -
//     all of the last three under the connection's lock, so no live frame
//     slips in between.
//
// A Join is used by the connection's own reader goroutine only.
type Join struct {
	h     *Hub
	c     *Conn
	room  string
	st    *roomState
	fresh bool // the room was not joined before (an implicit hold counts as joined)
	rev   int64
}

// CoversRev records that the join's replay carries every change to the
// room up to rev (a join-room with lastRev): later message-updated frames
// at or below it are skipped. Call it before Complete.
func (j *Join) CoversRev(rev int64) { j.rev = rev }

// Replayed is one history message to write on Complete.
type Replayed struct {
	Seq   int64
	Frame []byte
	// Update marks a message-updated frame (a change to an older message,
	// after the missed messages): always sent, and not a seq the
	// connection has seen.
	Update bool
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
		// Not authorized until the api answers: until then the room's
		// ephemeral frames do not reach this connection.
		st = &roomState{from: -1}
		c.rooms[room] = st
	}
	st.held = false // a hold's frames now wait for Complete or Abort
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
//
// A re-join of a room this connection already receives replays what the
// client asked for in order: when the frames it already got, (from, last],
// start at or before clientLastSeq they are a prefix of the replay and are
// skipped (no duplicate); when they start after it (the client missed
// older ones), the whole replay is sent again in order, those included -
// order wins over once-only, and the client drops what it has by seq.
func (j *Join) Complete(replay []Replayed, lastSeq int64, clientLastSeq *int64, ack []byte) bool {
	c := j.c
	c.mu.Lock()
	if c.rooms[j.room] != j.st {
		c.mu.Unlock()
		return false
	}
	prevFrom, prevLast := j.st.from, j.st.last
	c.mu.Unlock()

	// Frames of the room went out on this connection before (a held
	// implicit join sent none).
	delivered := !j.fresh && prevFrom >= 0
	skipUpTo := int64(0) // replayed seqs <= this were delivered, as a prefix
	if delivered && clientLastSeq != nil && prevFrom <= *clientLastSeq {
		skipUpTo = prevLast
	}
	// Replay outside the lock: pacing may wait for the client to read, and
	// live frames of this room are held meanwhile anyway.
	maxSeq := lastSeq
	for _, m := range replay {
		if m.Seq <= skipUpTo && !m.Update {
			continue
		}
		if !j.pace() || !c.Send(m.Frame) {
			return false
		}
		j.h.framesOut(1)
		if !m.Update {
			maxSeq = max(maxSeq, m.Seq)
		}
	}
	if !j.pace() {
		return false
	}
	if !j.finish(maxSeq, lastSeq, prevFrom, prevLast, delivered, clientLastSeq, ack) {
		return false
	}
	if j.h.cfg.OnJoined != nil {
		j.h.cfg.OnJoined(c, j.room)
	}
	return true
}

// finish records the room's position, writes the ack and the held frames,
// under the connection's lock.
func (j *Join) finish(maxSeq, lastSeq, prevFrom, prevLast int64, delivered bool, clientLastSeq *int64, ack []byte) bool {
	c := j.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rooms[j.room] != j.st {
		return false
	}
	st := j.st
	switch {
	case clientLastSeq != nil:
		from := min(*clientLastSeq, maxSeq)
		if delivered {
			from = min(from, prevFrom)
		}
		st.from, st.last = from, max(prevLast, maxSeq)
	case j.fresh:
		st.from, st.last = maxSeq, maxSeq
	default:
		// A re-join without history changes nothing: frames still in
		// flight since the first join (or held since connect, for the
		// implicit global join) must not be skipped.
	}
	st.authorized = true
	st.rev = max(st.rev, j.rev)
	c.Send(ack)
	j.h.framesOut(c.flushLocked(st))
	return true
}

// Abort ends a failed join. remove forgets the room even if it was joined
// before (the user may no longer see it); otherwise a previous join
// (implicit ones included) stays and the frames held meanwhile are
// delivered.
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
	n := c.flushLocked(j.st)
	c.mu.Unlock()
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
