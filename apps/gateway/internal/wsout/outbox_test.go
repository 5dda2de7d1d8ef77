package wsout

import (
	"fmt"
	"testing"
)

// fakeSession is melody's session as the outbox sees it: a channel of
// capacity MelodyBuffer that fails (like melody) when full.
type fakeSession struct {
	ch     []string // queued, not yet "written"
	closed bool
	full   bool // melody's buffer overflowed
}

func (f *fakeSession) Write(b []byte) error {
	if f.closed {
		return fmt.Errorf("closed")
	}
	if len(f.ch) >= MelodyBuffer {
		f.full = true
		return nil
	}
	f.ch = append(f.ch, string(b))
	return nil
}

func (f *fakeSession) CloseWithMsg(b []byte) error {
	f.ch = append(f.ch, "close:"+string(b))
	return nil
}
func (f *fakeSession) IsClosed() bool { return f.closed }

// writeOne plays melody's writer: takes the next frame and, for a text
// frame, reports it sent.
func (f *fakeSession) writeOne(o *Outbox) string {
	fr := f.ch[0]
	f.ch = f.ch[1:]
	if len(fr) < 6 || fr[:6] != "close:" {
		o.Sent()
	}
	return fr
}

// TestOutboxOrder: frames beyond the window wait in the backlog and go out
// in order, the close frame after the frames written before it; melody's
// small buffer never overflows; the backlog is released once drained.
func TestOutboxOrder(t *testing.T) {
	f := &fakeSession{}
	o := &Outbox{s: f}
	const n = 200
	for i := range n {
		if err := o.Write(fmt.Appendf(nil, "%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := o.Close([]byte("bye")); err != nil {
		t.Fatal(err)
	}
	_ = o.Write([]byte("after close"))
	if len(f.ch) != Window {
		t.Fatalf("melody holds %d frames, want the window (%d)", len(f.ch), Window)
	}
	var got []string
	for len(f.ch) > 0 {
		got = append(got, f.writeOne(o))
		if fr := got[len(got)-1]; fr[:min(6, len(fr))] == "close:" {
			break
		}
	}
	if f.full {
		t.Error("melody's buffer overflowed")
	}
	if len(got) != n+1 {
		t.Fatalf("sent %d frames, want %d", len(got), n+1)
	}
	for i := range n {
		if got[i] != fmt.Sprint(i) {
			t.Fatalf("frame %d = %q", i, got[i])
		}
	}
	if got[n] != "close:bye" {
		t.Errorf("last = %q, want the close frame", got[n])
	}
	if o.backlog != nil {
		t.Errorf("backlog kept: len %d cap %d", len(o.backlog), cap(o.backlog))
	}
}

// TestOutboxDirect: within the window, frames and the close frame go
// straight to melody; a closed session refuses frames once they would wait.
func TestOutboxDirect(t *testing.T) {
	f := &fakeSession{}
	o := &Outbox{s: f}
	_ = o.Write([]byte("a"))
	_ = o.Close([]byte("x"))
	if len(f.ch) != 2 || f.ch[1] != "close:x" || o.backlog != nil {
		t.Errorf("queued %q, backlog %d", f.ch, len(o.backlog))
	}
	f2 := &fakeSession{}
	o2 := &Outbox{s: f2}
	for range Window {
		_ = o2.Write([]byte("a"))
	}
	f2.closed = true
	if err := o2.Write([]byte("b")); err == nil {
		t.Error("a closed session took a frame into the backlog")
	}
}

// TestOutboxWritesNow: Send writes at once (Direct) only with nothing
// queued ahead, so a frame never overtakes one in melody's channel, and
// never after a close frame.
func TestOutboxWritesNow(t *testing.T) {
	f := &fakeSession{}
	var now []string
	accept := true
	o := &Outbox{s: f, Direct: func(b []byte) bool {
		if accept {
			now = append(now, string(b))
		}
		return accept
	}}
	send := func(s string, wantDirect bool) {
		t.Helper()
		if direct, err := o.Send([]byte(s)); err != nil || direct != wantDirect {
			t.Fatalf("Send(%s) = %v, %v; want direct %v", s, direct, err, wantDirect)
		}
	}
	send("a", true)
	accept = false // the socket takes nothing: queued
	send("b", false)
	accept = true
	send("c", false) // b is in melody's channel
	f.writeOne(o)
	f.writeOne(o)
	send("d", true) // all written: at once again
	_ = o.Close([]byte("bye"))
	send("e", false)
	if fmt.Sprint(now) != "[a d]" || fmt.Sprint(f.ch) != "[close:bye e]" {
		t.Errorf("written at once %q, queued %q", now, f.ch)
	}
}
