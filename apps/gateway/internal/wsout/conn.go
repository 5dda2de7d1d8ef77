package wsout

import (
	"encoding/binary"
	"errors"
	"net"
	"sync"
	"syscall"
	"time"
)

// Conn wraps a hijacked websocket connection and coalesces writes: melody
// writes one frame per Write (a syscall each, about half the gateway's CPU
// under fan-out). A data frame with more frames already queued behind it
// in melody's channel (More reports it) is held and goes out in one write
// with the next one; the last queued frame, and any control frame,
// flushes. Nothing waits on a timer: a held frame is only ever followed by
// a write on the same writer goroutine. Gorilla serializes its writes (one
// at a time per connection), so mu is uncontended; it only orders the
// buffer.
//
// WriteNow is the other way out: a text frame written at once by the
// caller (the fan-out) with one non-blocking write, when nothing is held or
// being written.
type Conn struct {
	net.Conn
	// More reports that more data frames are queued to be written after
	// the one being written (Outbox.MoreQueued); nil: never hold.
	More func() bool
	// Rewrite, if set, may replace a control frame written in one Write
	// (the /ws socket turns gorilla's 1009 close into 4008).
	Rewrite func(p []byte) []byte
	// WriteWait bounds the write that finishes a frame WriteNow wrote in
	// part; zero: 10 s.
	WriteWait time.Duration

	mu sync.Mutex
	// buf: held frames, from holdPool, or the rest of a frame WriteNow
	// wrote in part (a goroutine of flushHeld is then on its way); nil
	// when nothing is held. Whatever is in it goes out before anything else.
	buf *[]byte
	raw syscall.RawConn // the socket for WriteNow; nil until its first call
	// noRaw: the connection has no socket to write to directly (TLS, a
	// test double): WriteNow always declines.
	noRaw bool
	rem   int // payload bytes of the last frame still to come (it spans Writes)
	// The write deadline is set per frame (gorilla), a runtime timer
	// update each: it is kept here and set on the connection only before
	// a write that goes out, which is all a deadline applies to.
	deadline, applied time.Time
}

// SetWriteDeadline records t for the next write that goes out.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	return nil
}

// SetDeadline sets the read deadline now and the write deadline for the
// next write that goes out.
func (c *Conn) SetDeadline(t time.Time) error {
	if err := c.Conn.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

// write writes p to the connection under the latest write deadline.
// Caller holds c.mu.
func (c *Conn) write(p []byte) error {
	if !c.deadline.Equal(c.applied) {
		if err := c.Conn.SetWriteDeadline(c.deadline); err != nil {
			return err
		}
		c.applied = c.deadline
	}
	_, err := c.Conn.Write(p)
	return err
}

// maxHold bounds what is held before a write goes out anyway.
const maxHold = 32 << 10

// holdPool keeps the hold buffers: only a socket with frames queued holds
// one, and only until its next write goes out.
var holdPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// Write writes p, or holds it for the next write when more frames follow.
func (c *Conn) Write(p []byte) (int, error) {
	n := len(p)
	c.mu.Lock()
	defer c.mu.Unlock()
	hold := false
	if c.rem > 0 {
		// The rest of a frame whose start was written before.
		c.rem -= min(c.rem, len(p))
		hold = c.rem > 0 || c.moreQueued()
	} else if total, ok := dataFrameLen(p); ok {
		c.rem = max(total-len(p), 0)
		hold = c.rem > 0 || c.moreQueued()
	} else if c.Rewrite != nil {
		p = c.Rewrite(p)
	}
	if hold && (c.buf == nil || len(*c.buf)+len(p) <= maxHold) {
		if c.buf == nil {
			c.buf = holdPool.Get().(*[]byte)
		}
		*c.buf = append(*c.buf, p...)
		return n, nil
	}
	if c.buf == nil {
		if err := c.write(p); err != nil {
			return 0, err
		}
		return n, nil
	}
	b := append(*c.buf, p...)
	err := c.write(b)
	c.release(b)
	if err != nil {
		return 0, err
	}
	return n, nil
}

func (c *Conn) release(b []byte) {
	putHold(c.buf, b)
	c.buf = nil
}

// putHold returns bp, whose bytes are now b, to holdPool unless it grew
// too large to keep.
func putHold(bp *[]byte, b []byte) {
	if cap(b) <= 64<<10 {
		*bp = b[:0]
		holdPool.Put(bp)
	}
}

// WriteNow writes a text frame of payload on the caller's goroutine with
// one non-blocking write, and reports whether it did. It declines (and
// writes nothing) when it would have to wait: a write of the writer
// goroutine in progress, bytes held, or a socket buffer that takes
// nothing. A frame the socket takes only in part is written: its rest is
// held and a goroutine finishes it under WriteWait (a slow client waits
// on its own goroutine, never on the caller's), ahead of any later write.
func (c *Conn) WriteNow(payload []byte) bool {
	if !c.mu.TryLock() {
		return false
	}
	defer c.mu.Unlock()
	if c.rem > 0 || c.buf != nil {
		return false
	}
	rc := c.rawConn()
	if rc == nil {
		return false
	}
	if !c.applied.IsZero() {
		// A deadline applied for an earlier write may have passed, and
		// the poller refuses any write past it; a non-blocking write needs
		// none (the next blocking one applies its own, see write).
		if c.Conn.SetWriteDeadline(time.Time{}) != nil {
			return false
		}
		c.applied = time.Time{}
	}
	bp := holdPool.Get().(*[]byte)
	b := append(appendTextHeader((*bp)[:0], len(payload)), payload...)
	w := attemptPool.Get().(*attempt)
	w.b = b
	err := rc.Write(w.do)
	n := w.n
	*w = attempt{do: w.do}
	attemptPool.Put(w)
	if err != nil || n <= 0 {
		// Nothing went out (EAGAIN, or the socket is gone): the caller
		// queues the frame and melody's writer waits or fails.
		putHold(bp, b)
		return false
	}
	if n == len(b) {
		putHold(bp, b)
		return true
	}
	*bp = b[:copy(b, b[n:])]
	c.buf = bp
	go c.flushHeld()
	return true
}

// attempt is one non-blocking write of b through RawConn.Write; do is its
// bound method, made once per pooled attempt (a closure per write would
// be an allocation per socket per frame).
type attempt struct {
	b  []byte
	n  int
	do func(fd uintptr) bool
}

var attemptPool = sync.Pool{New: func() any {
	w := &attempt{}
	w.do = w.write
	return w
}}

func (w *attempt) write(fd uintptr) bool {
	for {
		n, err := syscall.Write(int(fd), w.b)
		if !errors.Is(err, syscall.EINTR) {
			w.n = n
			return true // one try: the caller never waits for the socket
		}
	}
}

// flushHeld writes what WriteNow left held, unless a write of the writer
// goroutine took it first. A failed write closes the connection: the
// bytes after it could not make a valid stream.
func (c *Conn) flushHeld() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.buf == nil {
		return
	}
	wait := c.WriteWait
	if wait <= 0 {
		wait = 10 * time.Second
	}
	c.deadline = time.Now().Add(wait)
	b := *c.buf
	err := c.write(b)
	c.release(b)
	if err != nil {
		_ = c.Conn.Close()
	}
}

// rawConn is the socket under the connection, nil if it has none.
// Caller holds c.mu.
func (c *Conn) rawConn() syscall.RawConn {
	if c.raw == nil && !c.noRaw {
		if sc, ok := c.Conn.(syscall.Conn); ok {
			c.raw, _ = sc.SyscallConn()
		}
		c.noRaw = c.raw == nil
	}
	return c.raw
}

// appendTextHeader appends the header of an unmasked, final text frame of
// n payload bytes (RFC 6455 5.2).
func appendTextHeader(b []byte, n int) []byte {
	switch {
	case n < 126:
		return append(b, 0x81, byte(n))
	case n <= 0xFFFF:
		return binary.BigEndian.AppendUint16(append(b, 0x81, 126), uint16(n))
	default:
		return binary.BigEndian.AppendUint64(append(b, 0x81, 127), uint64(n))
	}
}

func (c *Conn) moreQueued() bool { return c.More != nil && c.More() }

// dataFrameLen reads the header of an unmasked server data frame (text,
// binary or continuation) at the start of p and returns the frame's whole
// length, header included; ok is false for a control frame or anything
// else (the HTTP handshake answer starts with 'H', a close opcode).
func dataFrameLen(p []byte) (int, bool) {
	if len(p) < 2 || p[0]&0x0F > 2 || p[0]&0x70 != 0 || p[1]&0x80 != 0 {
		return 0, false
	}
	switch l := int(p[1] & 0x7F); l {
	case 126:
		if len(p) < 4 {
			return 0, false
		}
		return 4 + int(binary.BigEndian.Uint16(p[2:])), true
	case 127:
		if len(p) < 10 {
			return 0, false
		}
		return 10 + int(binary.BigEndian.Uint64(p[2:])), true
	default:
		return 2 + l, true
	}
}
