package engineio

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/olahol/melody"

	"github.com/chatforge/chat/apps/gateway/internal/wsout"
)

// wsKey carries a websocket's wsConn from serveWebsocket to HandleConnect
// in the upgrade request's context; from then on Server.conns has it.
type wsKey struct{}

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
	// out is the way to melody's send channel for every text frame: a
	// small window of it, the rest queued only while the client lags
	// (melody allocates the channel at full size per socket).
	out wsout.Outbox
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
		// Frames queued behind the one being written go out with it in
		// one write (see wsout.Conn).
		conn = &wsout.Conn{Conn: conn, More: h.c.out.MoreQueued}
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
	m.Config.MessageBufferSize = wsout.MelodyBuffer
	m.Config.PingPeriod = s.cfg.PingInterval
	m.Config.PongWait = 2*s.cfg.PingInterval + s.cfg.PingTimeout
	m.Config.WriteWait = s.cfg.WriteWait
	// Per socket for its whole life; client packets are small (a larger
	// one only takes more reads).
	m.Upgrader.ReadBufferSize = 512
	m.Upgrader.WriteBufferSize = 1024
	m.Upgrader.WriteBufferPool = &sync.Pool{}
	// Any origin: clients authenticate with a bearer token, never a cookie.
	m.Upgrader.CheckOrigin = func(*http.Request) bool { return true }

	m.HandleConnect(func(ms *melody.Session) {
		c, _ := ms.Request.Context().Value(wsKey{}).(*wsConn)
		if c == nil {
			return
		}
		s.conns.Put(ms, c)
		defer func() { c.handoff <- nil }()
		c.out.Attach(ms)
		if !c.fresh {
			return
		}
		ms.Request = nil
		c.sess.mu.Lock()
		c.sess.ws, c.sess.wsc = ms, c
		c.sess.mu.Unlock()
		s.register(c.sess, false)
		_ = c.write(c.sess.openPacket(false))
		s.h.OnOpen(c.sess)
	})
	m.HandleMessage(func(ms *melody.Session, msg []byte) {
		c := s.connOf(ms)
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
		if c := s.connOf(ms); c != nil && !c.probing {
			c.sess.handle(DecodeBinary(msg))
		}
	})
	m.HandleSentMessage(func(ms *melody.Session, msg []byte) {
		c := s.connOf(ms)
		if c == nil {
			return
		}
		c.out.Sent() // every text frame went through the outbox
		if len(msg) > 0 && Type(msg[0]) == Message {
			s.h.OnSent(c.sess, 1)
		}
	})
	m.HandleDisconnect(func(ms *melody.Session) {
		c := s.connOf(ms)
		if c == nil {
			return
		}
		defer s.conns.Delete(ms)
		c.sess.mu.Lock()
		active := c.sess.ws == ms
		c.sess.mu.Unlock()
		if active {
			c.sess.end("transport close", false)
		}
	})
	m.HandleError(func(ms *melody.Session, err error) {
		if c := s.connOf(ms); c != nil && errors.Is(err, melody.ErrMessageBufferFull) {
			// Too slow (the handler's queue bound came second): cut, not
			// Close, which would queue a frame into the full buffer.
			c.cut()
			c.sess.end("slow client", false)
		}
	})
	return m
}

// write queues a text frame; a client too slow to take the session's
// queue bound (SendBuffer) is cut: Close would queue a frame into the full
// queue.
func (c *wsConn) write(text []byte) error {
	err := c.out.Write(text)
	if errors.Is(err, wsout.ErrFull) {
		c.cut()
		c.sess.end("slow client", false)
	}
	return err
}

// connOf is the wsConn of a melody session; nil before HandleConnect or
// after HandleDisconnect.
func (s *Server) connOf(ms *melody.Session) *wsConn { return s.conns.Get(ms) }

// serveWebsocket runs a websocket for sess until it closes: a new session
// (no sid), or the upgrade of a polling one.
func (s *Server) serveWebsocket(w http.ResponseWriter, r *http.Request, sess *Session, fresh bool) {
	c := &wsConn{sess: sess, fresh: fresh}
	c.out.Limit = max(s.cfg.SendBuffer, 16) + 16
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
		c.handoff <- s.m.HandleRequest(&hijackCapture{ResponseWriter: w, c: c}, r.WithContext(context.WithValue(r.Context(), wsKey{}, c)))
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
		_ = c.write(Packet{Type: Pong, Data: probe}.Text())
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
				_ = c.write(text)
			}
		}
		sess.wmu.Unlock()
	default:
		_ = ms.Close()
	}
}
