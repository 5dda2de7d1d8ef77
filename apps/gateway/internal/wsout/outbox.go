// Package wsout is what goes out on a gateway websocket under melody: a
// small window into melody's send channel with the rest of the queue held
// only while a client lags (Outbox), and the coalescing of the frames
// melody writes one at a time into fewer syscalls (Conn). Both the /ws
// sockets and Socket.IO's websocket transport use them.
package wsout

import (
	"errors"
	"sync"

	"github.com/olahol/melody"
)

// Window is how many text frames a session has in melody's send channel
// at once; MelodyBuffer (melody's MessageBufferSize) adds room for the
// close frames that bypass the window: ours, and the two melody queues
// itself when it is closed (drain). Melody allocates the channel at full
// size for each session, 8 bytes a slot.
const (
	Window       = 16
	MelodyBuffer = Window + 8
)

// ErrFull is Write's answer beyond Limit.
var ErrFull = errors.New("wsout: send queue full")

// Session is what the outbox needs of a melody session.
type Session interface {
	Write(frame []byte) error
	CloseWithMsg(msg []byte) error
	IsClosed() bool
}

// Outbox feeds a socket's frames to melody a window at a time. Melody
// allocates each session's send channel at full size up front (8 bytes a
// frame: 2.3 KB per socket for the 256-frame send buffer) and most sockets
// are idle, so the channel holds Window frames and the rest of the
// send buffer waits here, allocated only while the client lags. The hub
// still bounds what is queued (hub.Config.SendLimit drops a slow client),
// and frames go out in the order they were written, close frame included.
type Outbox struct {
	// Limit, if positive, is the most frames queued (window and backlog):
	// one more is refused with ErrFull, a client too slow to keep. Zero:
	// the caller bounds the queue (the hub's send limit for /ws).
	Limit int
	// Direct, if set, writes a frame at once on the caller's goroutine
	// (Conn.WriteNow) and reports whether it did. It is tried only when
	// nothing is queued ahead of the frame, so order holds; a fan-out then
	// costs one non-blocking write per socket instead of a wakeup of each
	// socket's writer goroutine, and the first sockets have the frame
	// before the last are reached.
	Direct func(frame []byte) bool

	mu       sync.Mutex
	closing  bool // a close frame was queued: nothing more goes out directly
	s        Session
	inflight int        // text frames in melody's channel, not yet written
	backlog  []outFrame // waiting for room in the window, in order
}

type outFrame struct {
	b     []byte
	close bool // a close frame (b is its payload), sent after the frames before it
}

// Attach sets the session once melody has made it, before any Write.
func (o *Outbox) Attach(s Session) {
	o.mu.Lock()
	o.s = s
	o.mu.Unlock()
}

// Write queues a text frame.
func (o *Outbox) Write(frame []byte) error {
	_, err := o.Send(frame)
	return err
}

// Send writes a text frame at once (Direct) when nothing is queued ahead
// of it, else queues it like Write. direct reports the former: melody
// will not report that frame sent.
func (o *Outbox) Send(frame []byte) (direct bool, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.Direct != nil && o.inflight == 0 && len(o.backlog) == 0 && !o.closing && o.Direct(frame) {
		return true, nil
	}
	if len(o.backlog) == 0 && o.inflight < Window {
		if err := o.s.Write(frame); err != nil {
			return false, err
		}
		o.inflight++
		return false, nil
	}
	if o.s.IsClosed() {
		return false, melody.ErrSessionClosed
	}
	if o.Limit > 0 && o.inflight+len(o.backlog) >= o.Limit {
		return false, ErrFull
	}
	o.backlog = append(o.backlog, outFrame{b: frame})
	return false, nil
}

// Close queues a close frame (its payload: melody.FormatCloseMessage, or
// empty) after the frames written before.
func (o *Outbox) Close(msg []byte) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.closing = true
	if len(o.backlog) == 0 {
		return o.s.CloseWithMsg(msg)
	}
	if o.s.IsClosed() {
		return melody.ErrSessionClosed
	}
	o.backlog = append(o.backlog, outFrame{b: msg, close: true})
	return nil
}

// Sent records that melody wrote a text frame (HandleSentMessage, on the
// session's writer goroutine) and moves the backlog into the window.
func (o *Outbox) Sent() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.inflight--
	for len(o.backlog) > 0 && o.inflight < Window {
		f := o.backlog[0]
		o.backlog[0] = outFrame{}
		o.backlog = o.backlog[1:]
		if f.close {
			// Nothing goes out after a close frame.
			_ = o.s.CloseWithMsg(f.b)
			o.backlog = nil
			break
		}
		if o.s.Write(f.b) == nil {
			o.inflight++
		}
	}
	if len(o.backlog) == 0 {
		o.backlog = nil // the client caught up: release the array
	}
}

// MoreQueued reports whether text frames are queued in melody's channel
// behind the one being written: the frame being written still counts as
// in flight until melody reports it sent (Sent), so more than one
// means a next write is coming on the same writer goroutine.
func (o *Outbox) MoreQueued() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.inflight > 1
}
