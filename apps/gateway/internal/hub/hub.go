// Package hub is the gateway's connection registry and fan-out: which local
// connection joined which room, and writing room events to them in seq
// order, once each, without ever waiting for a slow client.
//
// The registry is three sharded indexes (room, user, session -> connections);
// per-room delivery state lives on each Conn. Writes go to a Sink that only
// queues; a connection whose queue grows past the send limit is dropped
// (killed), never waited for.
package hub

import "sync/atomic"

// Config bounds what a connection may have queued.
type Config struct {
	// SendLimit is the most frames queued on one connection; one more and
	// the connection is dropped as a slow client. Keep it below the
	// transport's own buffer so the hub, not the transport, decides.
	SendLimit int
	// PendingLimit is the most live frames of one room held back while a
	// join-room for it is answered; beyond it the connection is dropped
	// (it then resumes with lastSeq).
	PendingLimit int
	// OnJoined, if set, is called after a join-room of room completed on
	// c (ack written, the room authorized), on the caller of
	// Join.Complete, without any hub lock held.
	OnJoined func(c *Conn, room string)
}

// Observer receives the hub's counters (Prometheus in the gateway).
type Observer interface {
	FramesOut(n int)
	SlowClientDropped()
	// OutOfSync counts a connection closed because a room frame was
	// missing (seq beyond last+1).
	OutOfSync()
}

// Hub holds the local connections. Safe for concurrent use.
type Hub struct {
	cfg      Config
	obs      Observer
	rooms    *index
	users    *index
	sessions *index
	count    atomic.Int64
}

// New returns an empty hub. obs may be nil.
func New(cfg Config, obs Observer) *Hub {
	if cfg.SendLimit <= 0 {
		cfg.SendLimit = 256
	}
	if cfg.PendingLimit <= 0 {
		cfg.PendingLimit = max(1, cfg.SendLimit/4)
	}
	return &Hub{cfg: cfg, obs: obs, rooms: newIndex(), users: newIndex(), sessions: newIndex()}
}

// Add registers c under its user and session.
func (h *Hub) Add(c *Conn) {
	c.hub = h
	h.users.add(c.UserID, c)
	h.sessions.add(c.SessionID, c)
	h.count.Add(1)
}

// Remove unregisters c from every index and room. Later joins of c fail.
func (h *Hub) Remove(c *Conn) {
	c.mu.Lock()
	if c.gone {
		c.mu.Unlock()
		return
	}
	c.gone = true
	rooms := make([]string, 0, len(c.rooms))
	for id := range c.rooms {
		rooms = append(rooms, id)
	}
	clear(c.rooms)
	c.mu.Unlock()
	for _, id := range rooms {
		h.rooms.remove(id, c)
	}
	h.users.remove(c.UserID, c)
	h.sessions.remove(c.SessionID, c)
	h.count.Add(-1)
}

// Len is the number of registered connections.
func (h *Hub) Len() int { return int(h.count.Load()) }

// JoinLive joins c to room without history: it receives the room's frames
// from now on.
func (h *Hub) JoinLive(c *Conn, room string) bool {
	return h.join(c, room, false)
}

// JoinHeld joins c to room implicitly (the global room at connect) but
// holds the room's live frames until the client says what it wants: a
// join-room of the room (BeginJoin) takes the hold over, so the missed
// messages go out before the held ones; anything else ends the hold
// (ReleaseHeld) and the held frames go out. More than PendingLimit held
// frames end the hold too. Ephemeral frames of the room are not held.
func (h *Hub) JoinHeld(c *Conn, room string) bool {
	return h.join(c, room, true)
}

func (h *Hub) join(c *Conn, room string, held bool) bool {
	h.rooms.add(room, c)
	c.mu.Lock()
	if c.gone {
		c.mu.Unlock()
		h.rooms.remove(room, c)
		return false
	}
	if c.rooms[room] == nil {
		c.rooms[room] = &roomState{from: -1, pending: held, held: held, authorized: true}
	}
	c.mu.Unlock()
	return true
}

// ReleaseHeld ends the hold of an implicit join (JoinHeld) of room: the
// held frames are written and the room is live. It does nothing if the
// hold already ended or a join-room took it over.
func (h *Hub) ReleaseHeld(c *Conn, room string) {
	c.mu.Lock()
	n := 0
	if st := c.rooms[room]; st != nil && st.held {
		n = c.flushLocked(st)
	}
	c.mu.Unlock()
	h.framesOut(n)
}

// Leave removes c from room; it reports whether c had joined it.
func (h *Hub) Leave(c *Conn, room string) bool {
	ok := c.leave(room)
	h.rooms.remove(room, c)
	return ok
}

// RemoveUserFromRoom makes every local connection of user leave room (the
// user left or was removed: a private room must stop reaching them).
func (h *Hub) RemoveUserFromRoom(user, room string) int {
	p := getScratch()
	defer putScratch(p)
	*p = h.users.appendConns(*p, user)
	n := 0
	for _, c := range *p {
		if h.Leave(c, room) {
			n++
		}
	}
	return n
}

// HasRoom reports whether a local connection joined (or is joining) room:
// events of other rooms are skipped before any decoding.
func (h *Hub) HasRoom(room string) bool { return h.rooms.has(room) }

// DeliverMessage writes a message frame (seq in room) to every local
// connection that joined room and has not received seq yet. It returns the
// number of connections written to. It never blocks on a connection.
func (h *Hub) DeliverMessage(room string, seq int64, frame []byte) int {
	return h.DeliverMessages(room, Message{Seq: seq, Frame: frame}, nil)
}

// Message is a message frame of a room and its seq.
type Message struct {
	Seq   int64
	Frame []byte
}

// absorbEvery is how many connections a fan-out writes between two looks
// for newer messages of its room (DeliverMessages' next).
const absorbEvery = 32

// DeliverMessages is DeliverMessage of m, and of the room's next messages
// that arrive while it goes: next, if not nil, is asked every few
// connections for the room's next message in seq order (ok false: none
// now). A message taken that way goes out from the connection the fan-out
// has reached, after the earlier ones, instead of waiting for the whole
// room to be written (on one core a 5,000-socket fan-out takes tens of
// milliseconds); the connections before that point get it in a further
// pass over the room, which skips whoever has it (seq <= last).
func (h *Hub) DeliverMessages(room string, m Message, next func() (Message, bool)) int {
	msgs := []Message{m}
	n := 0
	for len(msgs) > 0 {
		p := getScratch()
		*p = h.rooms.appendConns(*p, room)
		late := 0 // msgs[late:] joined this pass at a connection after the first
		for i, c := range *p {
			if next != nil && i > 0 && i%absorbEvery == 0 {
				for {
					m, ok := next()
					if !ok {
						break
					}
					if late == 0 {
						late = len(msgs)
					}
					msgs = append(msgs, m)
				}
			}
			for _, m := range msgs {
				if c.deliverMessage(room, m.Seq, m.Frame) {
					n++
				}
			}
		}
		putScratch(p)
		if late == 0 {
			break
		}
		msgs = msgs[late:]
	}
	h.framesOut(n)
	return n
}

// DeliverUpdate writes a message-updated frame (revision rev of room) to
// the local connections that joined room, in order with its messages, and
// not twice to one whose join-room replay already carried that change.
func (h *Hub) DeliverUpdate(room string, rev int64, frame []byte) int {
	p := getScratch()
	*p = h.rooms.appendConns(*p, room)
	n := 0
	for _, c := range *p {
		if c.deliverUpdate(room, rev, frame) {
			n++
		}
	}
	putScratch(p)
	h.framesOut(n)
	return n
}

// DeliverRoom writes an ephemeral frame (typing, receipt) to the local
// connections in room, except those of exceptUser ("" for none), whom the
// frame is about, and those whose user blocks exceptUser.
func (h *Hub) DeliverRoom(room, exceptUser string, frame []byte) int {
	p := getScratch()
	*p = h.rooms.appendConns(*p, room)
	n := 0
	for _, c := range *p {
		if c.UserID != exceptUser && !c.Blocks(exceptUser) && c.deliverEphemeral(room, frame) {
			n++
		}
	}
	putScratch(p)
	h.framesOut(n)
	return n
}

// DeliverRooms writes an ephemeral frame (presence) once to every local
// connection whose join of at least one of rooms completed, except those
// of exceptUser ("" for none) and those whose user blocks exceptUser. It returns the number of connections
// written to.
func (h *Hub) DeliverRooms(rooms []string, exceptUser string, frame []byte) int {
	if len(rooms) == 1 {
		return h.DeliverRoom(rooms[0], exceptUser, frame)
	}
	p := getScratch()
	defer putScratch(p)
	seen := make(map[*Conn]struct{})
	n := 0
	for _, room := range rooms {
		*p = h.rooms.appendConns((*p)[:0], room)
		for _, c := range *p {
			if c.UserID == exceptUser || c.Blocks(exceptUser) {
				continue
			}
			if _, dup := seen[c]; dup {
				continue
			}
			if c.deliverEphemeral(room, frame) {
				seen[c] = struct{}{}
				n++
			}
		}
	}
	h.framesOut(n)
	return n
}

// User returns the local connections of a user.
func (h *Hub) User(userID string) []*Conn {
	return h.users.appendConns(nil, userID)
}

// DeliverAll writes frame to every local connection.
func (h *Hub) DeliverAll(frame []byte) int {
	p := getScratch()
	*p = h.sessions.appendAll(*p)
	n := 0
	for _, c := range *p {
		if c.Send(frame) {
			n++
		}
	}
	putScratch(p)
	h.framesOut(n)
	return n
}

// Each calls fn for every local connection (heartbeats, shutdown).
func (h *Hub) Each(fn func(*Conn)) {
	p := getScratch()
	*p = h.sessions.appendAll(*p)
	for _, c := range *p {
		fn(c)
	}
	putScratch(p)
}

// Session returns the local connections of a session.
func (h *Hub) Session(sessionID string) []*Conn {
	return h.sessions.appendConns(nil, sessionID)
}

// Sessions returns the ids of the sessions with a local connection.
func (h *Hub) Sessions() []string {
	var ids []string
	for i := range h.sessions.shards {
		s := &h.sessions.shards[i]
		s.mu.RLock()
		for id := range s.m {
			ids = append(ids, id)
		}
		s.mu.RUnlock()
	}
	return ids
}

func (h *Hub) framesOut(n int) {
	if h.obs != nil && n > 0 {
		h.obs.FramesOut(n)
	}
}
