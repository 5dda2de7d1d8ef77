package scenario

import (
	"bytes"
	"context"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chatforge/chat/tests/load/internal/wsclient"
)

// stepState is what the reader goroutines update during one step.
type stepState struct {
	res                                  *StepResult
	marker                               []byte // "lt:<run>.<step>:"
	runPrefix                            []byte // "lt:<run>."
	ackPrefix                            []byte // "s<step>:"
	spreads                              bool
	delivered, stale, dups, gaps, failed atomic.Int64
	lastRecv                             atomic.Int64 // unix nanos of the last delivery, for the drain

	mu      sync.Mutex
	errs    map[string]int64
	other   map[string]int64
	spreadM map[spreadKey]*Spread
}

func newStepState(cfg Config, st Step) *stepState {
	return &stepState{
		res:       newStepResult(st),
		marker:    []byte(marker(cfg.RunID, st.N)),
		runPrefix: []byte("lt:" + cfg.RunID + "."),
		ackPrefix: []byte("s" + strconv.Itoa(st.N) + ":"),
		spreads:   cfg.Workload == Broadcast,
		errs:      map[string]int64{},
		other:     map[string]int64{},
		spreadM:   map[spreadKey]*Spread{},
	}
}

// onFrame runs on cl's reader goroutine for every frame after ready.
func (sh *Shard) onFrame(cl *client, f []byte, at time.Time) {
	ss := sh.cur.Load()
	switch {
	case wsclient.IsEvent(f, "receive-message"):
		sh.onReceive(ss, cl, f, at)
	case wsclient.IsEvent(f, "ack"), wsclient.IsEvent(f, "error"):
		ref, _ := wsclient.StringField(f, "ref")
		isErr := wsclient.IsEvent(f, "error")
		code := ""
		if isErr {
			c, _ := wsclient.StringField(f, "code")
			code = string(c)
		}
		switch {
		case len(ref) == 1 && ref[0] == 'j':
			select {
			case cl.joined <- code:
			default:
			}
		case bytes.HasPrefix(ref, ss.ackPrefix):
			cl.pending.Add(-1)
			if isErr {
				ss.count(&ss.errs, code)
				return
			}
			cl.acked.Add(1)
			if ns, err := strconv.ParseInt(string(ref[len(ss.ackPrefix):]), 10, 64); err == nil {
				ss.res.Ack.Record(time.Duration(at.UnixNano() - ns))
				if ts, ok := wsclient.StringField(f, "timestamp"); ok {
					if stored, ok := cl.ts.unixNano(ts); ok {
						ss.res.Stored.Record(time.Duration(stored - ns))
					}
				}
			}
		default:
			ss.count(&ss.other, "unmatched "+wsclient.Event(f)+" "+code)
		}
	default:
		ss.count(&ss.other, wsclient.Event(f))
	}
}

func (sh *Shard) onReceive(ss *stepState, cl *client, f []byte, at time.Time) {
	if seq, ok := wsclient.IntField(f, "seq"); ok {
		switch {
		case cl.lastSeq == 0:
		case seq <= cl.lastSeq:
			ss.dups.Add(1)
		case seq > cl.lastSeq+1:
			ss.gaps.Add(seq - cl.lastSeq - 1)
		}
		cl.lastSeq = max(cl.lastSeq, seq)
	}
	content, _ := wsclient.StringField(f, "content")
	rest, ok := bytes.CutPrefix(content, ss.marker)
	if !ok {
		if bytes.HasPrefix(content, ss.runPrefix) {
			ss.stale.Add(1)
		}
		return
	}
	sender, sent, ok := parseMarker(rest)
	if !ok {
		return
	}
	now := at.UnixNano()
	if lag := time.Since(at); lag > 0 {
		ss.res.ReadLag.Record(lag)
	}
	ss.delivered.Add(1)
	ss.lastRecv.Store(now)
	ss.res.E2E.Record(time.Duration(now - sent))
	if ts, ok := wsclient.StringField(f, "timestamp"); ok {
		if stored, ok := cl.ts.unixNano(ts); ok {
			ss.res.AfterStore.Record(time.Duration(now - stored))
		}
	}
	if ss.spreads {
		k := spreadKey{sender, sent}
		ss.mu.Lock()
		if s := ss.spreadM[k]; s != nil {
			s.First, s.Last, s.Copies = min(s.First, now), max(s.Last, now), s.Copies+1
		} else {
			ss.spreadM[k] = &Spread{Sender: sender, SentNs: sent, First: now, Last: now, Copies: 1}
		}
		ss.mu.Unlock()
	}
}

func (ss *stepState) count(m *map[string]int64, key string) {
	ss.mu.Lock()
	(*m)[key]++
	ss.mu.Unlock()
}

// RunStep sends for st.Duration (or only holds the sockets when st.Rate is
// 0), then waits for outstanding acks and deliveries: until nothing is
// pending and nothing arrived for a second, at most cfg.Drain.
func (sh *Shard) RunStep(ctx context.Context, st Step, start time.Time) *StepResult {
	ss := newStepState(sh.cfg, st)
	for _, cl := range sh.clients {
		cl.sent.Store(0)
		cl.acked.Store(0)
		cl.pending.Store(0)
		if cl.isIn && !closed(cl.conn) {
			ss.res.RoomJoined[cl.room]++
		}
	}
	sh.cur.Store(ss)
	time.Sleep(time.Until(start))
	sched := readSched()
	end := start.Add(st.Duration)
	var wg sync.WaitGroup
	if st.Rate > 0 {
		for _, cl := range sh.clients {
			if cl.isIn && sh.cfg.sends(cl.idx) {
				ss.res.Senders++
				wg.Go(func() { sh.send(ctx, ss, cl, st, start, end) })
			}
		}
	}
	wg.Wait()
	select {
	case <-time.After(time.Until(end)):
	case <-ctx.Done():
	}
	if st.Rate > 0 {
		sh.drain(ctx, ss)
	}
	recordSchedSince(ss.res.Sched, sched)
	return sh.collect(ss)
}

// send is one client's open-loop sender: sends are scheduled at fixed
// times whatever the answers, so a slow server shows as latency instead of
// silently lowering the offered load.
func (sh *Shard) send(ctx context.Context, ss *stepState, cl *client, st Step, start, end time.Time) {
	interval := time.Duration(float64(time.Second) / st.Rate)
	next := start.Add(time.Duration(rand.Int64N(int64(interval))))
	pad := sh.cfg.ContentBytes
	buf := make([]byte, 0, pad+160)
	for n := 0; next.Before(end) && ctx.Err() == nil; n++ {
		time.Sleep(time.Until(next))
		now := time.Now()
		ss.res.SendLag.Record(now.Sub(next))
		ns := now.UnixNano()
		buf = append(buf[:0], `{"roomId":"`...)
		buf = append(buf, cl.room...)
		buf = append(buf, `","content":"`...)
		c0 := len(buf)
		buf = append(buf, ss.marker...)
		buf = strconv.AppendInt(buf, int64(cl.idx), 10)
		buf = append(buf, ':')
		buf = strconv.AppendInt(buf, ns, 10)
		buf = append(buf, ':')
		for len(buf)-c0 < pad {
			buf = append(buf, 'x')
		}
		buf = append(buf, `","clientMsgId":"`...)
		buf = append(buf, sh.cfg.RunID...)
		buf = append(buf, '-')
		buf = strconv.AppendInt(buf, int64(st.N), 10)
		buf = append(buf, '-')
		buf = strconv.AppendInt(buf, int64(cl.idx), 10)
		buf = append(buf, '-')
		buf = strconv.AppendInt(buf, int64(n), 10)
		buf = append(buf, `"}`...)
		ref := string(ss.ackPrefix) + strconv.FormatInt(ns, 10)
		cl.sent.Add(1)
		cl.pending.Add(1)
		if err := cl.conn.Send("send-message", ref, buf); err != nil {
			cl.pending.Add(-1)
			ss.failed.Add(1)
		}
		next = next.Add(interval)
	}
}

func (sh *Shard) drain(ctx context.Context, ss *stepState) {
	deadline := time.Now().Add(sh.cfg.Drain)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		var pending int64
		for _, cl := range sh.clients {
			if !closed(cl.conn) {
				pending += cl.pending.Load()
			}
		}
		quiet := time.Since(time.Unix(0, ss.lastRecv.Load())) > time.Second
		if pending == 0 && quiet {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// collect turns the step's counters into its result.
func (sh *Shard) collect(ss *stepState) *StepResult {
	r := ss.res
	for _, cl := range sh.clients {
		r.Sent += cl.sent.Load()
		r.Acked += cl.acked.Load()
		if cl.room != "" && cl.acked.Load() > 0 {
			r.RoomAcked[cl.room] += cl.acked.Load()
		}
		if cl.conn != nil && closed(cl.conn) {
			r.Drops++
			r.CloseCodes[cl.conn.CloseCode()]++
		} else {
			r.Unacked += cl.pending.Load()
		}
	}
	r.SendFailed = ss.failed.Load()
	r.Delivered, r.Stale, r.Duplicates, r.Gaps = ss.delivered.Load(), ss.stale.Load(), ss.dups.Load(), ss.gaps.Load()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	addCounts(r.SendErrors, ss.errs)
	addCounts(r.Other, ss.other)
	for _, s := range ss.spreadM {
		r.Spreads = append(r.Spreads, *s)
	}
	return r
}

func closed(c *wsclient.Conn) bool {
	if c == nil {
		return true
	}
	select {
	case <-c.Done():
		return true
	default:
		return false
	}
}

// tsCache parses message timestamps ("2006-01-02T15:04:05.000Z", the
// api's format) on one reader goroutine: the seconds part changes once a
// second, so it is parsed once a second and the rest is three digits.
type tsCache struct {
	prefix [19]byte
	sec    int64
	ok     bool
}

// unixNano returns the timestamp b in unix nanoseconds.
func (c *tsCache) unixNano(b []byte) (int64, bool) {
	if len(b) != 24 || b[19] != '.' || b[23] != 'Z' {
		return 0, false
	}
	var ms int64
	for _, d := range b[20:23] {
		if d < '0' || d > '9' {
			return 0, false
		}
		ms = ms*10 + int64(d-'0')
	}
	if !c.ok || !bytes.Equal(c.prefix[:], b[:19]) {
		t, err := time.Parse("2006-01-02T15:04:05", string(b[:19]))
		if err != nil {
			return 0, false
		}
		copy(c.prefix[:], b[:19])
		c.sec, c.ok = t.Unix(), true
	}
	return c.sec*int64(time.Second) + ms*int64(time.Millisecond), true
}
