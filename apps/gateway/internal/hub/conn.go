package hub

import (
	"sync"
	"sync/atomic"
)

// CloseOutOfSync is the close code of a connection that missed room
// frames (protocol v1: 1001, reconnect and resume).
const CloseOutOfSync = 1001

// Sink is the transport of one connection: a melody session in the
// gateway, a recorder in tests. Write must never block: it queues the frame
// or fails (melody drops frames when the session's buffer is full, which the
// gateway turns into Kill). Close sends a close frame after the queued ones;
// Kill drops the transport at once (slow client, stuck close).
type Sink interface {
	Write(frame []byte) error
	Close(code int, reason string)
	Kill()
}

// Conn is one live socket: who it belongs to, which rooms it has joined and
// how far each room was delivered to it.
//
// Concurrency: mu guards rooms, every roomState and desynced; writes of
// room frames happen under mu, which is what keeps a room's frames in seq
// order on the connection when the fan-out reader and a completing join
// race. depth and dropped are atomics touched by any goroutine.
type Conn struct {
	ID        string
	UserID    string
	SessionID string

	hub  *Hub
	sink Sink

	depth   atomic.Int64 // frames queued to the sink and not yet written
	dropped atomic.Bool
	// blocked: the users this connection's user blocks (nil: none); see
	// SetBlocked.
	blocked atomic.Pointer[map[string]struct{}]

	mu       sync.Mutex
	rooms    map[string]*roomState
	gone     bool // removed from the hub: joins are refused
	desynced bool // a gap was seen: closing with 1001, no more room frames
}

// roomState is what a connection received of one room. The frames of seqs
// (from, last] were delivered on this connection (from < 0: none yet, the
// room was joined "live" and the first delivery fixes from). While pending
// (a join-room is being answered, or the implicit join is held) live
// frames wait in buf.
type roomState struct {
	from, last int64
	pending    bool
	// held: the pending is the hold of an implicit join (JoinHeld), not a
	// join-room in flight; it ends with ReleaseHeld or turns into a join.
	held bool
	// authorized: a join of the room completed on this connection (the
	// api checked membership), or it is the implicit global room. Only
	// then do ephemeral frames (typing, receipts) go out.
	authorized bool
	// rev: changes to the room's older messages up to this revision were
	// replayed by a join-room with lastRev; a message-updated at or below
	// it that arrives later (its event lagged the api's read) is a
	// duplicate and is skipped.
	rev int64
	buf []pendingFrame
}

// pendingFrame is a live frame held during a join: a message (seq > 0) or
// a message-updated (rev > 0).
type pendingFrame struct {
	seq, rev int64
	frame    []byte
}

// NewConn returns a connection writing to sink. It is not registered: call
// Hub.Add.
func NewConn(id, userID, sessionID string, sink Sink) *Conn {
	return &Conn{ID: id, UserID: userID, SessionID: sessionID, sink: sink, rooms: make(map[string]*roomState, 2)}
}

// Send queues one frame (ack, error, ready...) and reports whether it was
// queued. A connection whose queue is beyond the hub's SendLimit is dropped
// instead: it is too slow, and must not hold frames for everybody else.
func (c *Conn) Send(frame []byte) bool {
	if c.dropped.Load() {
		return false
	}
	if n := c.depth.Add(1); c.hub != nil && n > int64(c.hub.cfg.SendLimit) {
		c.depth.Add(-1)
		c.Drop()
		return false
	}
	if err := c.sink.Write(frame); err != nil {
		c.depth.Add(-1)
		return false
	}
	return true
}

// Sent records that the transport wrote one queued frame (melody's
// HandleSentMessage).
func (c *Conn) Sent() { c.depth.Add(-1) }

// Depth is the number of frames queued and not yet written.
func (c *Conn) Depth() int64 { return c.depth.Load() }

// Drop kills a connection that cannot keep up, once, counting it. It takes
// no lock, so it may be called from inside Send or a sink callback.
func (c *Conn) Drop() {
	if c.dropped.CompareAndSwap(false, true) {
		if c.hub != nil && c.hub.obs != nil {
			c.hub.obs.SlowClientDropped()
		}
		c.sink.Kill()
	}
}

// Dropped reports whether the connection was dropped as too slow.
func (c *Conn) Dropped() bool { return c.dropped.Load() }

// Close closes the connection with a close frame (code and reason).
func (c *Conn) Close(code int, reason string) { c.sink.Close(code, reason) }

// Joined reports whether the connection has joined room (a join in flight
// does not count).
func (c *Conn) Joined(room string) bool {
	c.mu.Lock()
	st := c.rooms[room]
	c.mu.Unlock()
	return st != nil && !st.pending
}

// Rooms returns the ids of the rooms the connection joined or is joining.
func (c *Conn) Rooms() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids := make([]string, 0, len(c.rooms))
	for id := range c.rooms {
		ids = append(ids, id)
	}
	return ids
}

// AuthorizedRooms returns the ids of the rooms whose join completed on the
// connection (the implicit global room included).
func (c *Conn) AuthorizedRooms() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ids []string
	for id, st := range c.rooms {
		if st.authorized {
			ids = append(ids, id)
		}
	}
	return ids
}

// deliverMessage writes a message frame of room if the connection joined it
// and has not received seq yet. Per room, frames arrive in seq order (one
// reader per partition, one partition per room), so "seq > last" is both
// the duplicate filter and the order guarantee, and "seq > last+1" means a
// frame was lost on the way (see advance).
func (c *Conn) deliverMessage(room string, seq int64, frame []byte) bool {
	c.mu.Lock()
	st := c.rooms[room]
	if st == nil {
		c.mu.Unlock()
		return false
	}
	if st.pending {
		if st.heldSeq(seq) {
			// A further pass of the fan-out (DeliverMessages): held already.
			c.mu.Unlock()
			return false
		}
		if len(st.buf) < c.hub.cfg.PendingLimit {
			st.buf = append(st.buf, pendingFrame{seq: seq, frame: frame})
			c.mu.Unlock()
			return false
		}
		if !st.held {
			// A join in flight cannot hold more: the connection resumes.
			c.mu.Unlock()
			c.Drop()
			return false
		}
		// An implicit join held for too many frames: the client has had
		// its chance to ask for history first; it goes live now.
		c.hub.framesOut(c.flushLocked(st))
	}
	ok := c.advance(st, seq, frame)
	c.mu.Unlock()
	return ok
}

// heldSeq reports whether a message of seq or later is held in st.buf.
func (st *roomState) heldSeq(seq int64) bool {
	for i := len(st.buf) - 1; i >= 0; i-- {
		if st.buf[i].seq > 0 {
			return st.buf[i].seq >= seq
		}
	}
	return false
}

// advance writes frame if seq is new for st. A seq beyond last+1 on a room
// whose position is known means frames were lost before reaching this
// gateway (stream trimmed past a lagging reader, an outage): the
// connection can no longer promise "no gap", so it is closed with 1001 and
// the client resumes with join-room + lastSeq, which replays the hole.
// Caller holds c.mu.
func (c *Conn) advance(st *roomState, seq int64, frame []byte) bool {
	if seq <= st.last || c.desynced {
		return false
	}
	if st.from < 0 {
		st.from = seq - 1
	} else if seq > st.last+1 {
		c.desynced = true
		if c.hub != nil && c.hub.obs != nil {
			c.hub.obs.OutOfSync()
		}
		// Close only queues a close frame (the sink never blocks), so it
		// is safe under c.mu like Send.
		c.sink.Close(CloseOutOfSync, "missed messages; resume with join-room lastSeq")
		return false
	}
	st.last = seq
	return c.Send(frame)
}

// flushLocked writes st's held frames that are new, in order, and ends
// pending. It returns the number written. Caller holds c.mu.
func (c *Conn) flushLocked(st *roomState) int {
	n := 0
	for _, p := range st.buf {
		if p.rev > 0 {
			if st.authorized && p.rev > st.rev && !c.desynced && c.Send(p.frame) {
				n++
			}
			continue
		}
		if c.advance(st, p.seq, p.frame) {
			n++
		}
	}
	clear(st.buf)
	st.buf = st.buf[:0]
	st.pending, st.held = false, false
	return n
}

// deliverEphemeral writes a frame that has no seq (typing, receipts) if the
// connection's join of room completed: a join in flight has not been
// authorized by the api yet (a non-member of a private room asking to join
// must see nothing of it).
func (c *Conn) deliverEphemeral(room string, frame []byte) bool {
	c.mu.Lock()
	st := c.rooms[room]
	ok := st != nil && st.authorized
	c.mu.Unlock()
	return ok && c.Send(frame)
}

// deliverUpdate writes a message-updated frame of revision rev. During a
// join it is held with the room's messages, in arrival order, and sent
// after the ack unless the join's replay already covered it (rev at or
// below the replayed revision); outside a join it goes out if the join
// completed and the replay did not cover it.
func (c *Conn) deliverUpdate(room string, rev int64, frame []byte) bool {
	c.mu.Lock()
	st := c.rooms[room]
	switch {
	case st == nil:
		c.mu.Unlock()
		return false
	case st.pending:
		if len(st.buf) < c.hub.cfg.PendingLimit {
			st.buf = append(st.buf, pendingFrame{rev: rev, frame: frame})
			c.mu.Unlock()
			return false
		}
		if !st.held {
			c.mu.Unlock()
			c.Drop() // a join in flight cannot hold more: the client resumes
			return false
		}
		c.hub.framesOut(c.flushLocked(st))
	}
	ok := st.authorized && rev > st.rev && !c.desynced
	c.mu.Unlock()
	return ok && c.Send(frame)
}

// leave forgets room; it reports whether the room was joined.
func (c *Conn) leave(room string) bool {
	c.mu.Lock()
	_, ok := c.rooms[room]
	delete(c.rooms, room)
	c.mu.Unlock()
	return ok
}
