package engineio

import (
	"net/http"
	"sync"
	"time"

	"github.com/olahol/melody"
)

// Session is one Engine.IO connection, whichever transport carries it.
//
// Concurrency: mu guards the transport state and the polling queue;
// inMu serializes the handler's OnMessage and OnClose calls (a POST and
// the websocket reader can overlap during an upgrade).
type Session struct {
	ID string
	// BearerHeader and BearerQuery are the access token of the opening
	// request's Authorization header and access_token parameter.
	BearerHeader, BearerQuery string
	// Value is the handler's state of the session (set in OnOpen).
	Value any

	srv  *Server
	inMu sync.Mutex

	// wmu orders the writes to the websocket (taken after mu, and held
	// without it while writing).
	wmu sync.Mutex

	mu        sync.Mutex
	queue     [][]byte // text packets waiting for a GET
	queued    int      // message packets in queue
	wake      chan struct{}
	polling   bool            // a GET is waiting
	posting   bool            // a POST is being handled
	ws        *melody.Session // the websocket transport once active
	wsc       *wsConn         // its connection (Kill cuts it)
	upgrading bool            // a websocket answered the probe: polling ends
	pingSent  bool
	timer     *time.Timer
	closed    bool
	done      chan struct{}
}

func newSession(srv *Server, id string, r *http.Request) *Session {
	h, q := bearerFrom(r)
	return &Session{ID: id, BearerHeader: h, BearerQuery: q, srv: srv,
		wake: make(chan struct{}, 1), done: make(chan struct{})}
}

// start arms the heartbeat: a ping every PingInterval; a pong must come
// within PingTimeout.
func (sess *Session) start() {
	sess.mu.Lock()
	sess.timer = time.AfterFunc(sess.srv.cfg.PingInterval, sess.tick)
	sess.mu.Unlock()
}

func (sess *Session) tick() {
	sess.mu.Lock()
	if sess.closed {
		sess.mu.Unlock()
		return
	}
	if sess.pingSent {
		sess.mu.Unlock()
		sess.end("ping timeout", false)
		return
	}
	sess.pingSent = true
	sess.timer.Reset(sess.srv.cfg.PingTimeout)
	sess.mu.Unlock()
	_ = sess.send(Packet{Type: Ping})
}

func (sess *Session) pong() {
	sess.mu.Lock()
	defer sess.mu.Unlock()
	if sess.pingSent && !sess.closed {
		sess.pingSent = false
		sess.timer.Reset(sess.srv.cfg.PingInterval)
	}
}

// Send queues a text message to the client.
func (sess *Session) Send(data []byte) error {
	return sess.send(Packet{Type: Message, Data: data})
}

// SendText queues a message packet already encoded (MessageText): one
// encoding can go to every session of a fan-out. text is never modified.
func (sess *Session) SendText(text []byte) error { return sess.sendText(text, true) }

// MessageText encodes data as a text message packet, for SendText.
func MessageText(data []byte) []byte { return Packet{Type: Message, Data: data}.Text() }

func (sess *Session) send(p Packet) error { return sess.sendText(p.Text(), p.Type == Message) }

func (sess *Session) sendText(text []byte, message bool) error {
	sess.mu.Lock()
	if sess.closed {
		sess.mu.Unlock()
		return ErrClosed
	}
	if wsc := sess.wsc; sess.ws != nil {
		// Not under mu: a full queue ends the session (mu). wmu keeps
		// the order of writes.
		sess.wmu.Lock()
		sess.mu.Unlock()
		defer sess.wmu.Unlock()
		return wsc.write(text)
	}
	defer sess.mu.Unlock()
	sess.enqueue(text, message)
	return nil
}

// enqueue adds a packet for the next GET. Caller holds mu.
func (sess *Session) enqueue(text []byte, message bool) {
	sess.queue = append(sess.queue, text)
	if message {
		sess.queued++
	}
	select {
	case sess.wake <- struct{}{}:
	default:
	}
}

// Close closes the session from the server side, after the packets
// already queued: the websocket is closed, or a close packet goes to the
// next GET. The handler's OnClose runs with reason "server close".
func (sess *Session) Close() { sess.end("server close", true) }

// Closed reports whether the session ended.
func (sess *Session) Closed() bool {
	sess.mu.Lock()
	defer sess.mu.Unlock()
	return sess.closed
}

// Kill cuts the session at once, dropping what is queued.
func (sess *Session) Kill() {
	sess.mu.Lock()
	wsc := sess.wsc
	sess.queue, sess.queued = nil, 0
	sess.mu.Unlock()
	if wsc != nil {
		wsc.cut()
	}
	sess.end("forced close", false)
}

// end closes the session once: politely (close packet or websocket close
// after what is queued) or not, then tells the handler.
func (sess *Session) end(reason string, polite bool) {
	sess.mu.Lock()
	if sess.closed {
		sess.mu.Unlock()
		return
	}
	sess.closed = true
	if sess.timer != nil {
		sess.timer.Stop()
	}
	ws, wsc := sess.ws, sess.wsc
	close(sess.done)
	sess.mu.Unlock()
	if ws != nil && polite {
		_ = wsc.out.Close(nil) // after the frames queued before
	} else if ws != nil {
		wsc.cut()
	}
	if ws == nil && polite {
		// The next GETs take the queued packets, then the close packet,
		// and remove the session (see poll); a client that never polls
		// again is forgotten after the ping timeout.
		time.AfterFunc(sess.srv.cfg.PingTimeout, func() { sess.srv.remove(sess) })
	} else {
		sess.srv.remove(sess)
	}
	// After the message being handled, if any (end may be called from
	// inside OnMessage): OnClose never overlaps OnMessage.
	go func() {
		sess.inMu.Lock()
		defer sess.inMu.Unlock()
		sess.srv.h.OnClose(sess, reason)
	}()
}

// handle is one packet from the client, on any transport.
func (sess *Session) handle(p Packet) {
	switch p.Type {
	case Pong:
		sess.pong()
	case Message:
		sess.inMu.Lock()
		defer sess.inMu.Unlock()
		if !sess.Closed() {
			sess.srv.h.OnMessage(sess, p.Data, p.Binary)
		}
	case Close:
		sess.end("transport close", false)
	}
	// ping (v3 clients), upgrade and noop outside an upgrade: ignored.
}
