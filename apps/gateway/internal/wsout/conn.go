package wsout

import (
	"encoding/binary"
	"net"
	"sync"
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
type Conn struct {
	net.Conn
	// More reports that more data frames are queued to be written after
	// the one being written (Outbox.MoreQueued); nil: never hold.
	More func() bool
	// Rewrite, if set, may replace a control frame written in one Write
	// (the /ws socket turns gorilla's 1009 close into 4008).
	Rewrite func(p []byte) []byte

	mu  sync.Mutex
	buf *[]byte // held frames, from holdPool; nil when nothing is held
	rem int     // payload bytes of the last frame still to come (it spans Writes)
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
	if cap(b) <= 64<<10 {
		*c.buf = b[:0]
		holdPool.Put(c.buf)
	}
	c.buf = nil
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
