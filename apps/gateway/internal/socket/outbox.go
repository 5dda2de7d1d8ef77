package socket

import (
	"sync"

	"github.com/olahol/melody"
)

// outboxWindow is how many text frames a session has in melody's send
// channel at once; melodyBuffer (melody's MessageBufferSize) adds room for
// the close frames that bypass the window: ours, and the two melody queues
// itself when it is closed (drain).
const (
	outboxWindow = 16
	melodyBuffer = outboxWindow + 8
)

// session is what the outbox needs of a melody session.
type session interface {
	Write(frame []byte) error
	CloseWithMsg(msg []byte) error
	IsClosed() bool
}

// outbox feeds a socket's frames to melody a window at a time. Melody
// allocates each session's send channel at full size up front (8 bytes a
// frame: 2.3 KB per socket for the 256-frame send buffer) and most sockets
// are idle, so the channel holds outboxWindow frames and the rest of the
// send buffer waits here, allocated only while the client lags. The hub
// still bounds what is queued (hub.Config.SendLimit drops a slow client),
// and frames go out in the order they were written, close frame included.
type outbox struct {
	mu       sync.Mutex
	s        session
	inflight int        // text frames in melody's channel, not yet written
	backlog  []outFrame // waiting for room in the window, in order
}

type outFrame struct {
	b     []byte
	close bool // a close frame (b is its payload), sent after the frames before it
}

// write queues a text frame.
func (o *outbox) write(frame []byte) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.backlog) == 0 && o.inflight < outboxWindow {
		if err := o.s.Write(frame); err != nil {
			return err
		}
		o.inflight++
		return nil
	}
	if o.s.IsClosed() {
		return melody.ErrSessionClosed
	}
	o.backlog = append(o.backlog, outFrame{b: frame})
	return nil
}

// close queues a close frame after the frames written before.
func (o *outbox) close(msg []byte) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.backlog) == 0 {
		return o.s.CloseWithMsg(msg)
	}
	if o.s.IsClosed() {
		return melody.ErrSessionClosed
	}
	o.backlog = append(o.backlog, outFrame{b: msg, close: true})
	return nil
}

// sent records that melody wrote a text frame (HandleSentMessage, on the
// session's writer goroutine) and moves the backlog into the window.
func (o *outbox) sent() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.inflight--
	for len(o.backlog) > 0 && o.inflight < outboxWindow {
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

// moreQueued reports whether text frames are queued in melody's channel
// behind the one being written: the frame being written still counts as
// in flight until melody reports it sent (outbox.sent), so more than one
// means a next write is coming on the same writer goroutine.
func (o *outbox) moreQueued() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.inflight > 1
}
