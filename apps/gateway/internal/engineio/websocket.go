package engineio

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/olahol/melody"
)

const wsKey = "eio"

// wsConn is a websocket's link to its session. probing: it was opened to
// upgrade a polling session and carries nothing until the upgrade packet.
type wsConn struct {
	sess    *Session
	fresh   bool // the session was opened on this websocket (no polling)
	probing bool // reader goroutine only
	// raw is the hijacked connection: melody cannot close a session
	// without queueing a close frame, which a full buffer refuses (and
	// reports as an error again), so a slow client is cut here.
	raw atomic.Pointer[net.Conn]
	// handoff gets nil once the upgrade is done (HandleConnect), or the
	// handshake's error: serveWebsocket returns then (see there).
	handoff chan error
}

// cut closes the websocket's connection at once; melody's reader then
// fails and the session ends as usual.
func (c *wsConn) cut() {
	if raw := c.raw.Load(); raw != nil {
		_ = (*raw).Close()
	}
}

// hijackCapture keeps the connection the websocket upgrade hijacks.
type hijackCapture struct {
	http.ResponseWriter
	c *wsConn
}

func (h *hijackCapture) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := h.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("engineio: response writer cannot hijack")
	}
	conn, rw, err := hj.Hijack()
	if err == nil {
		h.c.raw.Store(&conn)
	}
	return conn, rw, err
}

var probe = []byte("probe")

// newMelody configures the websocket transport. Engine.IO's own pings
// watch the client; melody's websocket pings keep intermediaries from
// cutting an idle connection and its read deadline is a backstop.
func (s *Server) newMelody() *melody.Melody {
	m := melody.New()
	m.Config.MaxMessageSize = int64(s.cfg.MaxPayload)
	m.Config.MessageBufferSize = max(s.cfg.SendBuffer, 16) + 16
	m.Config.PingPeriod = s.cfg.PingInterval
	m.Config.PongWait = 2*s.cfg.PingInterval + s.cfg.PingTimeout
	m.Config.WriteWait = s.cfg.WriteWait
	m.Upgrader.ReadBufferSize = 1024
	m.Upgrader.WriteBufferSize = 1024
	m.Upgrader.WriteBufferPool = &sync.Pool{}
	// Any origin: clients authenticate with a bearer token, never a cookie.
	m.Upgrader.CheckOrigin = func(*http.Request) bool { return true }

	m.HandleConnect(func(ms *melody.Session) {
		c := connOf(ms)
		if c == nil {
			return
		}
		defer func() { c.handoff <- nil }()
		if !c.fresh {
			return
		}
		ms.Request = nil
		c.sess.mu.Lock()
		c.sess.ws, c.sess.wsc = ms, c
		c.sess.mu.Unlock()
		s.register(c.sess, false)
		_ = ms.Write(c.sess.openPacket(false))
		s.h.OnOpen(c.sess)
	})
	m.HandleMessage(func(ms *melody.Session, msg []byte) {
		c := connOf(ms)
		if c == nil {
			return
		}
		p, err := DecodeText(msg)
		if err != nil {
			c.sess.end("parse error", false)
			return
		}
		if c.probing {
			c.upgradeStep(ms, p)
			return
		}
		c.sess.handle(p)
	})
	m.HandleMessageBinary(func(ms *melody.Session, msg []byte) {
		if c := connOf(ms); c != nil && !c.probing {
			c.sess.handle(DecodeBinary(msg))
		}
	})
	m.HandleSentMessage(func(ms *melody.Session, msg []byte) {
		if c := connOf(ms); c != nil && len(msg) > 0 && Type(msg[0]) == Message {
			s.h.OnSent(c.sess, 1)
		}
	})
	m.HandleDisconnect(func(ms *melody.Session) {
		c := connOf(ms)
		if c == nil {
			return
		}
		c.sess.mu.Lock()
		active := c.sess.ws == ms
		c.sess.mu.Unlock()
		if active {
			c.sess.end("transport close", false)
		}
	})
	m.HandleError(func(ms *melody.Session, err error) {
		if c := connOf(ms); c != nil && errors.Is(err, melody.ErrMessageBufferFull) {
			// Too slow (the handler's queue bound came second): cut, not
			// Close, which would queue a frame into the full buffer.
			c.cut()
			c.sess.end("slow client", false)
		}
	})
	return m
}

func connOf(ms *melody.Session) *wsConn {
	v, _ := ms.Get(wsKey)
	c, _ := v.(*wsConn)
	return c
}

// serveWebsocket runs a websocket for sess until it closes: a new session
// (no sid), or the upgrade of a polling one.
func (s *Server) serveWebsocket(w http.ResponseWriter, r *http.Request, sess *Session, fresh bool) {
	c := &wsConn{sess: sess, fresh: fresh}
	if !c.fresh {
		sess.mu.Lock()
		busy := sess.ws != nil || sess.upgrading || sess.closed
		sess.mu.Unlock()
		if busy {
			writeError(w, http.StatusBadRequest, errBadRequest)
			return
		}
		c.probing = true
	}
	// The websocket lives on a goroutine of its own, as /ws sockets do:
	// once upgraded, this handler returns and net/http and gin free what
	// they hold per request (bufio buffers, headers, a deep stack: about
	// 30 KB a socket) instead of keeping it for the socket's whole life.
	// It waits for the upgrade either way: the hijack and melody's answer
	// to a failed handshake use w, valid only until the handler returns.
	c.handoff = make(chan error, 2) // the connect's nil, then the end's
	go func() {
		defer func() {
			// The handler's recovery no longer covers this goroutine; a
			// panic must not take every socket of the process down.
			if rec := recover(); rec != nil {
				s.cfg.Log.Error("panic recovered in an engine.io websocket", "panic", rec, "stack", string(debug.Stack()))
				c.cut()
				c.handoff <- fmt.Errorf("engineio: panic in a websocket: %v", rec)
			}
		}()
		c.handoff <- s.m.HandleRequestWithKeys(&hijackCapture{ResponseWriter: w, c: c}, r, map[string]any{wsKey: c})
	}()
	if err := <-c.handoff; err != nil {
		s.cfg.Log.Debug("engine.io websocket failed", "err", err)
	}
}

// upgradeStep runs the upgrade of a polling session (reader goroutine):
// "2probe" is answered "3probe" and the pending GET is released with a
// noop; "5" moves the session onto this websocket, queued packets first.
func (c *wsConn) upgradeStep(ms *melody.Session, p Packet) {
	sess := c.sess
	switch {
	case p.Type == Ping && bytes.Equal(p.Data, probe):
		_ = ms.Write(Packet{Type: Pong, Data: probe}.Text())
		sess.mu.Lock()
		if !sess.closed {
			sess.upgrading = true
			sess.enqueue(Packet{Type: Noop}.Text(), false)
		}
		sess.mu.Unlock()
	case p.Type == Upgrade:
		sess.mu.Lock()
		if sess.closed || !sess.upgrading {
			sess.mu.Unlock()
			_ = ms.Close()
			return
		}
		ms.Request = nil
		c.probing = false
		backlog := sess.queue
		sess.queue, sess.queued = nil, 0
		sess.ws, sess.wsc = ms, c
		// The backlog goes first: later sends wait for wmu. Not under mu
		// (see send).
		sess.wmu.Lock()
		sess.mu.Unlock()
		// Message packets are counted as melody writes them (HandleSentMessage).
		for _, text := range backlog {
			if Type(text[0]) != Noop {
				_ = ms.Write(text)
			}
		}
		sess.wmu.Unlock()
	default:
		_ = ms.Close()
	}
}
