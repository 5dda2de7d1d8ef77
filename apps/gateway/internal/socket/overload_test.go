package socket

import (
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatforge/chat/apps/gateway/internal/gwmetrics"
)

// A socket sending far faster than the api answers (here: the api's
// command consumer stopped) gets its excess refused at once with
// unavailable and a retry hint, while the api is still stopped; once the
// api is back, what was acked is stored in order, what was refused is
// not, the socket is still open, and a resend of a refused message (same
// clientMsgId) is stored once. No timing is asserted.
func TestOverloadRefusesPromptlyAndKeepsTheSocket(t *testing.T) {
	const queueMax, sent = 4, 20
	e := newEnv(t, 1, func(c *Config) {
		c.QueueMax = queueMax
		c.QueueMaxWait = time.Millisecond // a frame queued behind a stalled command is stale
		c.QueueSlowCommand = time.Millisecond
	})
	alice := e.user(t)
	room := e.room(t, "private", alice.ID)
	c := e.dial(t, 0, alice.Token)
	c.send("join-room", "j", map[string]any{"roomId": room})
	c.expect(t, "ack")

	e.pauseAPI()
	for i := range sent {
		c.send("send-message", strconv.Itoa(i), map[string]any{"roomId": room, "content": fmt.Sprint("m", i), "clientMsgId": fmt.Sprint("m-", i)})
	}
	// With the api stopped, the first frame is in hand and blocked; the
	// rest are refused before the api is back: past queueMax at once, the
	// queued ones as they wait past the budget behind it.
	answers := map[string]frame{}
	for len(answers) < sent-1 {
		f := c.expect(t, "ack", "error")
		answers[refOf(t, f)] = f
	}
	for ref, f := range answers {
		if f.Event != "error" {
			t.Fatalf("frame %s acked with the api stopped: %v", ref, f)
		}
	}
	e.resumeAPI()
	for len(answers) < sent {
		f := c.expect(t, "ack", "error")
		ref := refOf(t, f)
		if _, dup := answers[ref]; dup {
			t.Fatalf("frame %s answered twice: %v", ref, f)
		}
		answers[ref] = f
	}

	var acked, refused []string
	lastSeq := int64(0)
	for i := range sent {
		f := answers[strconv.Itoa(i)]
		id := fmt.Sprint("m-", i)
		switch f.Event {
		case "ack":
			m := decode[message](t, f.Data)
			if m.Seq <= lastSeq {
				t.Errorf("frame %d acked with seq %d after seq %d: out of order", i, m.Seq, lastSeq)
			}
			lastSeq = m.Seq
			acked = append(acked, id)
		default:
			d := decode[errData](t, f.Data)
			if d.Code != "unavailable" || d.RetryAfterMs <= 0 {
				t.Errorf("frame %d refused with %+v, want unavailable with retryAfterMs", i, d)
			}
			refused = append(refused, id)
		}
	}
	t.Logf("acked %v, refused %v", acked, refused)
	if len(refused) < sent-1 {
		t.Fatalf("%d refused, want at least %d", len(refused), sent-1)
	}
	for _, id := range refused {
		if n := e.storedCount(t, alice.ID, id); n != 0 {
			t.Errorf("refused %s stored %d times", id, n)
		}
	}
	for _, id := range acked {
		if n := e.storedCount(t, alice.ID, id); n != 1 {
			t.Errorf("acked %s stored %d times", id, n)
		}
	}

	// The socket stayed open: a refused message resent (same clientMsgId)
	// is acked and stored once, after the acked ones. The hint is honoured; with a
	// 1 ms queue budget a busy machine may refuse it again.
	resend := refused[0]
	var m message
	for attempt := 0; ; attempt++ {
		c.send("send-message", "r", map[string]any{"roomId": room, "content": "again", "clientMsgId": resend})
		f := c.expect(t, "ack", "error")
		if f.Event == "ack" {
			m = decode[message](t, f.Data)
			break
		}
		d := decode[errData](t, f.Data)
		if d.Code != "unavailable" || attempt == 50 {
			t.Fatalf("resend refused: %+v", d)
		}
		time.Sleep(time.Duration(d.RetryAfterMs) * time.Millisecond)
	}
	if m.Seq <= lastSeq {
		t.Errorf("resend stored at seq %d, not after %d", m.Seq, lastSeq)
	}
	if n := e.storedCount(t, alice.ID, resend); n != 1 {
		t.Errorf("resent %s stored %d times", resend, n)
	}
}

func refOf(t *testing.T, f frame) string {
	t.Helper()
	var ref string
	if err := json.Unmarshal(f.Ref, &ref); err != nil {
		t.Fatalf("frame without a string ref: %v", f)
	}
	return ref
}

// storedCount is how many messages of user carry clientMsgID.
func (e *env) storedCount(t *testing.T, user, clientMsgID string) int64 {
	t.Helper()
	var n int64
	if err := e.db.Raw(`SELECT count(*) FROM messages WHERE user_id = ? AND client_msg_id = ?`, user, clientMsgID).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// Frames sent back to back are handled in the order sent, those that wait
// for the api and those that do not alike: a send right after its join
// finds the room joined, a send right after a leave does not.
func TestFramesHandledInOrder(t *testing.T) {
	e := newEnv(t, 1, nil)
	alice := e.user(t)
	room := e.room(t, "private", alice.ID)
	c := e.dial(t, 0, alice.Token)
	for round := range 3 {
		c.send("join-room", "j", map[string]any{"roomId": room})
		c.send("send-message", "s1", map[string]any{"roomId": room, "content": "in", "clientMsgId": fmt.Sprint("in-", round)})
		c.send("leave-room", "l", map[string]any{"roomId": room})
		c.send("send-message", "s2", map[string]any{"roomId": room, "content": "out", "clientMsgId": fmt.Sprint("out-", round)})
		for _, want := range []struct{ ref, event, code string }{{"j", "ack", ""}, {"s1", "ack", ""}, {"l", "ack", ""}, {"s2", "error", "forbidden"}} {
			f := c.expect(t, "ack", "error")
			if got := refOf(t, f); got != want.ref || f.Event != want.event {
				t.Fatalf("round %d: got %s %s, want %s %s", round, f.Event, got, want.event, want.ref)
			}
			if want.code != "" {
				if d := decode[errData](t, f.Data); d.Code != want.code {
					t.Fatalf("round %d: %s refused with %+v, want %s", round, want.ref, d, want.code)
				}
			}
		}
	}
}

// A burst sent at once behind commands that are not slow is served
// whole, however long its tail waits: the wait budget refuses only what
// waits behind a slow command.
func TestBurstBehindFastCommandsServed(t *testing.T) {
	e := newEnv(t, 1, func(c *Config) {
		c.QueueMaxWait = time.Millisecond // every queued frame waits longer
		c.QueueSlowCommand = c.CommandTimeout
	})
	alice := e.user(t)
	room := e.room(t, "private", alice.ID)
	c := e.dial(t, 0, alice.Token)
	c.send("join-room", "j", map[string]any{"roomId": room})
	c.expect(t, "ack")
	const n = 40 // WS_RATE_BURST's default
	for i := range n {
		c.send("send-message", strconv.Itoa(i), map[string]any{"roomId": room, "content": "b", "clientMsgId": fmt.Sprint("b-", i)})
	}
	last := int64(0)
	for i := range n {
		f := c.expect(t, "ack", "error")
		if f.Event != "ack" || refOf(t, f) != strconv.Itoa(i) {
			t.Fatalf("frame %d of the burst answered %v, want its ack in order", i, f)
		}
		if m := decode[message](t, f.Data); m.Seq <= last {
			t.Fatalf("frame %d stored at seq %d after %d", i, m.Seq, last)
		} else {
			last = m.Seq
		}
	}
}

// A draining gateway answers every frame it took before closing with
// 1001: those still queued get unavailable (not handled), the one in hand
// its real answer; nothing refused is stored.
func TestDrainAnswersQueuedFrames(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := newEnvDeps(t, 1, func(c *Config) { c.QueueMaxWait = -1 }, func(d *Deps) { d.Metrics = gwmetrics.New(reg) })
	alice := e.user(t)
	room := e.room(t, "private", alice.ID)
	c := e.dial(t, 0, alice.Token)
	c.send("join-room", "j", map[string]any{"roomId": room})
	c.expect(t, "ack")

	e.pauseAPI()
	for i := range 3 {
		c.send("send-message", strconv.Itoa(i), map[string]any{"roomId": room, "content": "m", "clientMsgId": fmt.Sprint("d-", i)})
	}
	for framesIn(t, reg, "send-message") < 3 {
		time.Sleep(5 * time.Millisecond) // the reader has taken all three
	}
	e.gws[0].stop()
	for _, ref := range []string{"1", "2"} {
		f := c.expect(t, "ack", "error")
		if got := refOf(t, f); got != ref || f.Event != "error" {
			t.Fatalf("got %s %s, want the queued frame %s refused", f.Event, got, ref)
		}
		if d := decode[errData](t, f.Data); d.Code != "unavailable" || d.RetryAfterMs <= 0 {
			t.Errorf("queued frame %s refused with %+v, want unavailable with retryAfterMs", ref, d)
		}
	}
	e.resumeAPI()
	if f := c.expect(t, "ack", "error"); f.Event != "ack" || refOf(t, f) != "0" {
		t.Fatalf("frame in hand answered %v, want its ack", f)
	}
	if code := c.closeCode(t); code != 1001 {
		t.Fatalf("close code %d, want 1001", code)
	}
	for i, want := range []int64{1, 0, 0} {
		if n := e.storedCount(t, alice.ID, fmt.Sprint("d-", i)); n != want {
			t.Errorf("d-%d stored %d times, want %d", i, n, want)
		}
	}
}

// framesIn reads gateway_frames_in_total for event.
func framesIn(t *testing.T, reg *prometheus.Registry, event string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "gateway_frames_in_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "event" && l.GetValue() == event {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}
