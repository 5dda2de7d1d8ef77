package hub

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// recSink records frames; with drain it acknowledges each write at once
// (a fast client), without it the queue only grows (a stuck client).
type recSink struct {
	mu     sync.Mutex
	frames []string
	drain  bool
	conn   *Conn
	// onWrite, if set, sees each frame written (under mu).
	onWrite func(frame string)
	killed  atomic.Bool
	closed  []int
}

func (s *recSink) Write(f []byte) error {
	s.mu.Lock()
	s.frames = append(s.frames, string(f))
	if s.onWrite != nil {
		s.onWrite(string(f))
	}
	s.mu.Unlock()
	if s.drain {
		s.conn.Sent()
	}
	return nil
}
func (s *recSink) Close(code int, _ string) {
	s.mu.Lock()
	s.closed = append(s.closed, code)
	s.mu.Unlock()
}
func (s *recSink) Kill() { s.killed.Store(true) }
func (s *recSink) closes() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.closed...)
}
func (s *recSink) got() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.frames, " ")
}

type counters struct{ out, dropped, desynced atomic.Int64 }

func (c *counters) FramesOut(n int)    { c.out.Add(int64(n)) }
func (c *counters) SlowClientDropped() { c.dropped.Add(1) }
func (c *counters) OutOfSync()         { c.desynced.Add(1) }

func newConn(h *Hub, id, user string, drain bool) (*Conn, *recSink) {
	s := &recSink{drain: drain}
	c := NewConn(id, user, "s-"+id, s)
	s.conn = c
	h.Add(c)
	return c, s
}

func msg(seq int64) []byte { return []byte("m" + strconv.FormatInt(seq, 10)) }

func TestDeliverOnceInOrder(t *testing.T) {
	t.Parallel()
	h := New(Config{SendLimit: 100}, nil)
	a, sa := newConn(h, "a", "ua", true)
	_, sb := newConn(h, "b", "ub", true) // not in the room
	h.JoinLive(a, "r")
	for _, seq := range []int64{5, 6, 6, 4, 7} { // a duplicate and a late one
		h.DeliverMessage("r", seq, msg(seq))
	}
	if got, want := sa.got(), "m5 m6 m7"; got != want {
		t.Errorf("a got %q, want %q", got, want)
	}
	if got := sb.got(); got != "" {
		t.Errorf("non-member got %q", got)
	}
}

func TestJoinReplayThenLiveWithoutGapOrDuplicate(t *testing.T) {
	t.Parallel()
	h := New(Config{SendLimit: 100}, nil)
	c, s := newConn(h, "c", "u", true)
	j := h.BeginJoin(c, "r")
	// Live events while the join is answered: one the replay also has,
	// two newer ones.
	h.DeliverMessage("r", 10, msg(10))
	h.DeliverMessage("r", 11, msg(11))
	h.DeliverMessage("r", 12, msg(12))
	if s.got() != "" {
		t.Fatalf("frames before the join completed: %q", s.got())
	}
	last := int64(7)
	replay := []Replayed{{Seq: 8, Frame: msg(8)}, {Seq: 9, Frame: msg(9)}, {Seq: 10, Frame: msg(10)}}
	if !j.Complete(replay, 10, &last, []byte("ack")) {
		t.Fatal("Complete failed")
	}
	h.DeliverMessage("r", 12, msg(12))
	h.DeliverMessage("r", 13, msg(13))
	if got, want := s.got(), "m8 m9 m10 ack m11 m12 m13"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestJoinWithoutHistoryStartsAtLastSeq(t *testing.T) {
	t.Parallel()
	h := New(Config{SendLimit: 100}, nil)
	c, s := newConn(h, "c", "u", true)
	j := h.BeginJoin(c, "r")
	h.DeliverMessage("r", 20, msg(20)) // committed before the api read lastSeq
	j.Complete(nil, 20, nil, []byte("ack"))
	h.DeliverMessage("r", 21, msg(21))
	if got, want := s.got(), "ack m21"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestResumeHeldGlobalReplaysFirst: the global room is joined at connect
// with its live frames held; the client's join-room{global, lastSeq}
// takes the hold over, so the missed messages come first, in order, then
// the held and live ones above them, each once.
func TestResumeHeldGlobalReplaysFirst(t *testing.T) {
	t.Parallel()
	h := New(Config{SendLimit: 100}, nil)
	c, s := newConn(h, "c", "u", true)
	h.JoinHeld(c, "g")
	h.DeliverMessage("g", 50, msg(50)) // live before the client's first frame
	h.DeliverMessage("g", 51, msg(51))
	if got := s.got(); got != "" {
		t.Fatalf("held frames sent before the client spoke: %q", got)
	}
	j := h.BeginJoin(c, "g")
	h.DeliverMessage("g", 52, msg(52)) // while the api answers
	h.DeliverMessage("g", 53, msg(53)) // committed after the api read lastSeq 52
	last := int64(47)
	if !j.Complete([]Replayed{{Seq: 48, Frame: msg(48)}, {Seq: 49, Frame: msg(49)}, {Seq: 50, Frame: msg(50)}, {Seq: 51, Frame: msg(51)}, {Seq: 52, Frame: msg(52)}}, 52, &last, []byte("ack")) {
		t.Fatal("Complete failed")
	}
	h.ReleaseHeld(c, "g") // the hold timer firing late changes nothing
	h.DeliverMessage("g", 53, msg(53))
	h.DeliverMessage("g", 54, msg(54))
	if got, want := s.got(), "m48 m49 m50 m51 m52 ack m53 m54"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestRejoinOfLiveRoomStaysInOrder: a connection that already received
// frames of a room joins it again with lastSeq. When what it has starts
// after lastSeq (a hole), the whole range is replayed in order, those
// frames included; when it starts at or before lastSeq, what it has is a
// prefix of the replay and is skipped.
func TestRejoinOfLiveRoomStaysInOrder(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		lastSeq int64
		want    string
	}{
		{47, "m50 m51 m48 m49 m50 m51 m52 ack m53"},
		{50, "m50 m51 m52 ack m53"},
	} {
		h := New(Config{SendLimit: 100}, nil)
		c, s := newConn(h, "c", "u", true)
		h.JoinLive(c, "g")
		h.DeliverMessage("g", 50, msg(50))
		h.DeliverMessage("g", 51, msg(51))
		j := h.BeginJoin(c, "g")
		var replay []Replayed
		for seq := tc.lastSeq + 1; seq <= 52; seq++ {
			replay = append(replay, Replayed{Seq: seq, Frame: msg(seq)})
		}
		j.Complete(replay, 52, &tc.lastSeq, []byte("ack"))
		h.DeliverMessage("g", 52, msg(52))
		h.DeliverMessage("g", 53, msg(53))
		if got := s.got(); got != tc.want {
			t.Errorf("lastSeq %d: got %q, want %q", tc.lastSeq, got, tc.want)
		}
	}
}

// TestHeldJoinEnds: the hold of an implicit join ends by ReleaseHeld (the
// client's first frame was something else, or the hold timed out), by
// overflowing (never a drop), or by a failed join-room of the room.
func TestHeldJoinEnds(t *testing.T) {
	t.Parallel()
	t.Run("release", func(t *testing.T) {
		h := New(Config{SendLimit: 100}, nil)
		c, s := newConn(h, "c", "u", true)
		h.JoinHeld(c, "g")
		if c.Joined("g") {
			t.Error("held room counts as joined")
		}
		h.DeliverMessage("g", 1, msg(1))
		h.DeliverMessage("g", 2, msg(2))
		h.ReleaseHeld(c, "g")
		h.ReleaseHeld(c, "g")
		h.DeliverMessage("g", 3, msg(3))
		if got := s.got(); got != "m1 m2 m3" || !c.Joined("g") {
			t.Errorf("got %q joined=%v", got, c.Joined("g"))
		}
	})
	t.Run("overflow goes live", func(t *testing.T) {
		h := New(Config{SendLimit: 100, PendingLimit: 2}, nil)
		c, s := newConn(h, "c", "u", true)
		h.JoinHeld(c, "g")
		for seq := int64(1); seq <= 4; seq++ {
			h.DeliverMessage("g", seq, msg(seq))
		}
		if got := s.got(); got != "m1 m2 m3 m4" || s.killed.Load() {
			t.Errorf("got %q killed=%v", got, s.killed.Load())
		}
	})
	t.Run("failed join keeps the implicit join", func(t *testing.T) {
		h := New(Config{SendLimit: 100}, nil)
		c, s := newConn(h, "c", "u", true)
		h.JoinHeld(c, "g")
		h.DeliverMessage("g", 1, msg(1))
		j := h.BeginJoin(c, "g")
		h.DeliverMessage("g", 2, msg(2))
		j.Abort(false) // e.g. unavailable
		h.DeliverMessage("g", 3, msg(3))
		if got := s.got(); got != "m1 m2 m3" || !c.Joined("g") {
			t.Errorf("got %q joined=%v", got, c.Joined("g"))
		}
	})
	t.Run("ephemeral not held", func(t *testing.T) {
		h := New(Config{SendLimit: 100}, nil)
		c, s := newConn(h, "c", "u", true)
		h.JoinHeld(c, "g")
		if n := h.DeliverRoom("g", "", []byte("typing")); n != 1 || s.got() != "typing" {
			t.Errorf("typing in the held global room: n=%d got %q", n, s.got())
		}
	})
}

// TestGapClosesOutOfSync: a frame beyond last+1 means frames were lost on
// the way; the connection is closed with 1001 (resume with lastSeq) and
// gets nothing of any room after the gap.
func TestGapClosesOutOfSync(t *testing.T) {
	t.Parallel()
	t.Run("live", func(t *testing.T) {
		obs := &counters{}
		h := New(Config{SendLimit: 100}, obs)
		c, s := newConn(h, "c", "u", true)
		h.JoinLive(c, "r")
		h.JoinLive(c, "other")
		for _, seq := range []int64{1, 2, 4, 5} {
			h.DeliverMessage("r", seq, msg(seq))
		}
		h.DeliverMessage("other", 9, msg(9))
		if got := s.got(); got != "m1 m2" {
			t.Errorf("got %q, want m1 m2", got)
		}
		if cl := s.closes(); len(cl) != 1 || cl[0] != 1001 || obs.desynced.Load() != 1 {
			t.Errorf("closes %v, out of sync %d; want one 1001", cl, obs.desynced.Load())
		}
	})
	t.Run("after a join", func(t *testing.T) {
		h := New(Config{SendLimit: 100}, nil)
		c, s := newConn(h, "c", "u", true)
		j := h.BeginJoin(c, "r")
		h.DeliverMessage("r", 13, msg(13)) // 12 never arrives
		j.Complete(nil, 11, nil, []byte("ack"))
		if got, cl := s.got(), s.closes(); got != "ack" || len(cl) != 1 || cl[0] != 1001 {
			t.Errorf("got %q closes %v, want ack then 1001", got, cl)
		}
	})
	t.Run("a room's first live frame fixes its position", func(t *testing.T) {
		h := New(Config{SendLimit: 100}, nil)
		c, s := newConn(h, "c", "u", true)
		h.JoinLive(c, "r")
		h.DeliverMessage("r", 40, msg(40))
		h.DeliverMessage("r", 41, msg(41))
		if got, cl := s.got(), s.closes(); got != "m40 m41" || len(cl) != 0 {
			t.Errorf("got %q closes %v", got, cl)
		}
	})
}

// TestEphemeralOnlyAfterAuthorizedJoin: typing and receipts of a room go
// to a connection only once a join of it completed (the api checked
// membership): not while the first join is in flight, not after it failed.
// A re-join keeps the authorization of the join it renews until it fails
// with not_found/forbidden.
func TestEphemeralOnlyAfterAuthorizedJoin(t *testing.T) {
	t.Parallel()
	h := New(Config{SendLimit: 100}, nil)
	c, s := newConn(h, "c", "carol", true)
	j := h.BeginJoin(c, "private")
	h.DeliverRoom("private", "alice", []byte("t1"))
	j.Abort(false) // not_found: carol is no member
	h.DeliverRoom("private", "alice", []byte("t2"))
	if got := s.got(); got != "" {
		t.Fatalf("non-member got %q", got)
	}
	j = h.BeginJoin(c, "private")
	h.DeliverRoom("private", "alice", []byte("t3"))
	j.Complete(nil, 0, nil, []byte("ack"))
	h.DeliverRoom("private", "alice", []byte("t4"))
	j = h.BeginJoin(c, "private") // re-join
	h.DeliverRoom("private", "alice", []byte("t5"))
	j.Abort(true) // removed meanwhile
	h.DeliverRoom("private", "alice", []byte("t6"))
	if got, want := s.got(), "ack t4 t5"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestAbort(t *testing.T) {
	t.Parallel()
	h := New(Config{SendLimit: 100}, nil)
	c, s := newConn(h, "c", "u", true)
	h.BeginJoin(c, "new").Abort(false)
	if c.Joined("new") || len(c.Rooms()) != 0 {
		t.Error("failed fresh join left the room joined")
	}
	h.JoinLive(c, "old")
	j := h.BeginJoin(c, "old")
	h.DeliverMessage("old", 3, msg(3))
	j.Abort(false) // e.g. unavailable: the earlier join stands
	if got := s.got(); got != "m3" || !c.Joined("old") {
		t.Errorf("after abort got %q joined=%v", got, c.Joined("old"))
	}
	h.BeginJoin(c, "old").Abort(true) // not_found: forget it
	if c.Joined("old") {
		t.Error("abort(remove) kept the room")
	}
}

func TestSlowClientDroppedOthersServed(t *testing.T) {
	t.Parallel()
	obs := &counters{}
	h := New(Config{SendLimit: 4}, obs)
	slow, ss := newConn(h, "slow", "u1", false)
	fast, sf := newConn(h, "fast", "u2", true)
	h.JoinLive(slow, "r")
	h.JoinLive(fast, "r")
	for seq := int64(1); seq <= 10; seq++ {
		h.DeliverMessage("r", seq, msg(seq))
	}
	if !ss.killed.Load() || !slow.Dropped() || obs.dropped.Load() != 1 {
		t.Errorf("slow client not dropped once: killed=%v dropped=%d", ss.killed.Load(), obs.dropped.Load())
	}
	if got := strings.Count(sf.got(), "m"); got != 10 {
		t.Errorf("fast client got %d frames, want 10", got)
	}
	if got := strings.Count(ss.got(), "m"); got != 4 {
		t.Errorf("slow client queued %d frames, want 4 (the limit)", got)
	}
}

func TestPendingOverflowDrops(t *testing.T) {
	t.Parallel()
	h := New(Config{SendLimit: 8, PendingLimit: 2}, nil)
	c, s := newConn(h, "c", "u", true)
	j := h.BeginJoin(c, "r")
	for seq := int64(1); seq <= 3; seq++ {
		h.DeliverMessage("r", seq, msg(seq))
	}
	if !s.killed.Load() {
		t.Fatal("connection not dropped after its held frames overflowed")
	}
	if j.Complete(nil, 0, nil, []byte("ack")) {
		t.Error("Complete succeeded on a dropped connection")
	}
}

func TestMembershipRemovalAndEphemeral(t *testing.T) {
	t.Parallel()
	h := New(Config{SendLimit: 100}, nil)
	a1, s1 := newConn(h, "a1", "alice", true)
	a2, s2 := newConn(h, "a2", "alice", true)
	b, sb := newConn(h, "b", "bob", true)
	for _, c := range []*Conn{a1, a2, b} {
		h.JoinLive(c, "r")
	}
	if n := h.DeliverRoom("r", "alice", []byte("typing")); n != 1 || sb.got() != "typing" || s1.got() != "" {
		t.Errorf("typing echoed to the typer or missed: n=%d", n)
	}
	if n := h.RemoveUserFromRoom("alice", "r"); n != 2 {
		t.Errorf("removed %d connections, want 2", n)
	}
	h.DeliverMessage("r", 1, msg(1))
	if s1.got() != "" || s2.got() != "" || sb.got() != "typing m1" {
		t.Errorf("after removal: a1=%q a2=%q b=%q", s1.got(), s2.got(), sb.got())
	}
	if n := h.DeliverAll([]byte("p")); n != 3 {
		t.Errorf("DeliverAll reached %d, want 3", n)
	}
	h.Remove(a1)
	if h.Len() != 2 || len(h.Session("s-a1")) != 0 || len(h.Session("s-a2")) != 1 {
		t.Errorf("registry after Remove: len=%d", h.Len())
	}
	if h.BeginJoin(a1, "r") != nil {
		t.Error("join of a removed connection accepted")
	}
}

// TestConcurrentJoinsAndFanout is for -race: a reader delivering while
// connections join, leave and disconnect.
func TestConcurrentJoinsAndFanout(t *testing.T) {
	t.Parallel()
	h := New(Config{SendLimit: 1 << 20}, nil)
	const conns, rooms, events = 20, 4, 500
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := int64(0); i < events; i++ {
			seq := i/rooms + 1 // each room's own gap-free sequence
			h.DeliverMessage(fmt.Sprint("r", i%rooms), seq, msg(seq))
		}
	})
	for i := range conns {
		wg.Go(func() {
			c, _ := newConn(h, fmt.Sprint("c", i), fmt.Sprint("u", i%5), true)
			for k := range 20 {
				room := fmt.Sprint("r", k%rooms)
				if j := h.BeginJoin(c, room); j != nil {
					j.Complete(nil, 0, nil, []byte("ack"))
				}
				if k%3 == 0 {
					h.Leave(c, room)
				}
				h.RemoveUserFromRoom(fmt.Sprint("u", k%5), room)
			}
			h.Remove(c)
		})
	}
	wg.Wait()
	if h.Len() != 0 {
		t.Errorf("Len = %d after all removed", h.Len())
	}
}

func upd(rev int64) []byte { return []byte("u" + strconv.FormatInt(rev, 10)) }

// A join-room with lastRev replays the changes up to the api's revision:
// a message-updated at or below it that reaches the gateway during or
// after the join (its event lagged the api's read) is not sent again;
// newer ones are, in order with the room's messages.
func TestJoinReplayedChangesNotSentTwice(t *testing.T) {
	t.Parallel()
	h := New(Config{SendLimit: 100, PendingLimit: 100}, nil)
	c, s := newConn(h, "c", "u", true)
	j := h.BeginJoin(c, "r")
	h.DeliverUpdate("r", 20, upd(20)) // replayed below
	h.DeliverMessage("r", 11, msg(11))
	h.DeliverUpdate("r", 22, upd(22)) // newer than the replay
	if s.got() != "" {
		t.Fatalf("frames before the join completed: %q", s.got())
	}
	last := int64(9)
	j.CoversRev(21)
	replay := []Replayed{{Seq: 10, Frame: msg(10)}, {Frame: upd(21), Update: true}}
	if !j.Complete(replay, 10, &last, []byte("ack")) {
		t.Fatal("Complete failed")
	}
	h.DeliverUpdate("r", 21, upd(21)) // lagging event of a replayed change
	h.DeliverUpdate("r", 23, upd(23))
	if got, want := s.got(), "m10 u21 ack m11 u22 u23"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// message-updated never reaches a connection whose join the api has not
// authorized (a non-member asking to join a private room).
func TestUpdateNotBeforeAuthorizedJoin(t *testing.T) {
	t.Parallel()
	h := New(Config{SendLimit: 100, PendingLimit: 100}, nil)
	c, s := newConn(h, "c", "u", true)
	j := h.BeginJoin(c, "private")
	h.DeliverUpdate("private", 5, upd(5))
	j.Abort(true)
	h.DeliverUpdate("private", 6, upd(6))
	if got := s.got(); got != "" {
		t.Errorf("got %q before an authorized join", got)
	}
}

// A message that arrives during a room's fan-out joins it where it is: the
// connections from there on get it right after the earlier one, those
// before it in a further pass; each connection gets every message once, in
// seq order, and a join in flight holds each once.
func TestDeliverMessagesAbsorbsLaterOnes(t *testing.T) {
	h := New(Config{SendLimit: 256}, nil)
	const n = 3*absorbEvery + 5
	var order []string // the frames, in write order over all connections
	var sinks []*recSink
	for i := range n {
		c, s := newConn(h, fmt.Sprint("c", i), fmt.Sprint("u", i), true)
		s.onWrite = func(f string) { order = append(order, f) }
		h.JoinLive(c, "r")
		sinks = append(sinks, s)
	}
	joining, js := newConn(h, "j", "uj", true)
	bj := h.BeginJoin(joining, "r")
	calls := 0
	next := func() (Message, bool) {
		calls++
		switch calls {
		case 1: // at connection absorbEvery: seq 2
			return Message{Seq: 2, Frame: []byte("m2")}, true
		case 3: // at 2*absorbEvery: seq 3
			return Message{Seq: 3, Frame: []byte("m3")}, true
		}
		return Message{}, false
	}
	h.DeliverMessages("r", Message{Seq: 1, Frame: []byte("m1")}, next)
	for i, s := range sinks {
		if got := s.got(); got != "m1 m2 m3" {
			t.Fatalf("conn %d got %q", i, got)
		}
	}
	// seq 2 went out before the first pass had written seq 1 everywhere.
	firstM2, lastM1 := -1, -1
	for i, f := range order {
		if f == "m2" && firstM2 < 0 {
			firstM2 = i
		}
		if f == "m1" {
			lastM1 = i
		}
	}
	if firstM2 > lastM1 {
		t.Errorf("seq 2 first written at write %d, after the last seq 1 (%d)", firstM2, lastM1)
	}
	if !bj.Complete(nil, 0, nil, []byte("ack")) {
		t.Fatal("join failed")
	}
	if got := js.got(); got != "ack m1 m2 m3" {
		t.Errorf("the join in flight got %q", got)
	}
}
