package socket

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/olahol/melody"

	"github.com/chatforge/chat/platform/authn"
	"github.com/chatforge/chat/platform/web"
)

// serveWS authenticates before the upgrade: a missing, invalid, expired or
// revoked token gets 401 problem+json (WWW-Authenticate: Bearer) and no
// socket. Redis failing the revocation check gets 503: refusing is safer
// than admitting a revoked session.
func (g *Gateway) serveWS(c *gin.Context) {
	if g.draining.Load() {
		web.WriteProblem(c, http.StatusServiceUnavailable, "the gateway is shutting down; connect to another one")
		return
	}
	if !g.events.Started() {
		// Until the event reader has fixed where it starts in every
		// stream, a socket could join a room and miss the events between
		// the api's answer and that start: no socket before then.
		c.Header("Retry-After", "1")
		web.WriteProblem(c, http.StatusServiceUnavailable, "the gateway is starting; retry shortly")
		return
	}
	token := bearer(c.Request)
	if token == "" {
		unauthorized(c, "missing access token (Authorization: Bearer or access_token)")
		return
	}
	claims, refused, err := g.authenticate(c.Request.Context(), token)
	if err != nil {
		g.Log.ErrorContext(c.Request.Context(), "socket authentication failed", "err", err)
		web.WriteProblem(c, http.StatusServiceUnavailable, "cannot verify the session right now")
		return
	}
	if refused != "" {
		unauthorized(c, refused)
		return
	}
	connID, ok := g.AdmitSocket(c, claims.UserID)
	if !ok {
		return
	}
	cl := newClient(g, claims, connID)
	// The socket lives on a goroutine of its own, not on this handler's:
	// once the upgrade is done the handler returns, and net/http and gin
	// free what they hold per request (connection state, bufio buffers,
	// the gin.Context, a deep stack) instead of keeping it for the socket's
	// whole life. The handler waits for the upgrade to end either way: the
	// hijack and melody's answer to a failed handshake use the
	// ResponseWriter, which is only valid until the handler returns.
	go g.runSocket(cl, &hijackCapture{ResponseWriter: c.Writer, cl: cl}, c.Request)
	if err := <-cl.handoff; err != nil {
		g.releaseSocket(claims.UserID, connID)
		if errors.Is(err, melody.ErrClosed) {
			// Melody stopped (drain) after the check above; it wrote nothing.
			web.WriteProblem(c, http.StatusServiceUnavailable, "the gateway is shutting down; connect to another one")
			return
		}
		g.Log.DebugContext(c.Request.Context(), "websocket upgrade failed", "err", err)
		return
	}
	// Upgraded and registered: onConnect waits while the Redis round trips
	// of the connect run here, on a stack that is about to be freed, so
	// the reader goroutine's stack stays as small as reading needs.
	defer close(cl.settled)
	g.finishConnect(cl)
}

// runSocket runs melody's handshake and then the socket's reader on the
// calling goroutine, until the socket ends. cl.handoff gets the handshake's
// error if it failed (onConnect never handed off).
func (g *Gateway) runSocket(cl *client, w http.ResponseWriter, r *http.Request) {
	defer func() {
		// gin's recovery no longer covers this goroutine. The callbacks
		// recover their own panics and let melody end the session (see
		// recoverCallback); this is the last resort for a panic in melody
		// itself or in the disconnect callback, which skips melody's
		// teardown, but must not take every socket of the process down.
		if rec := recover(); rec != nil {
			g.Log.Error("panic recovered in a socket", "panic", rec, "stack", string(debug.Stack()))
			cl.Kill()
			if !cl.handedOff {
				cl.handoff <- fmt.Errorf("socket: panic during the connect: %v", rec)
			}
		}
	}()
	err := g.m.HandleRequestWithKeys(w, r, map[string]any{clientKey: cl})
	if !cl.handedOff {
		if err == nil {
			err = errors.New("socket: handshake ended without a session")
		}
		cl.handoff <- err
	}
}

func unauthorized(c *gin.Context, detail string) {
	c.Header("WWW-Authenticate", `Bearer error="invalid_token", error_description="`+detail+`"`)
	web.WriteProblem(c, http.StatusUnauthorized, detail)
}

// bearer takes the token from the Authorization header (Bearer, or Bot for
// a bot token), else from the access_token query parameter (browsers
// cannot set headers on a WebSocket; the access log never records
// queries).
func bearer(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		_, tok := authn.Credentials(h)
		return tok
	}
	return r.URL.Query().Get("access_token")
}

// hijackCapture keeps the raw connection the upgrade hijacks in the
// client, so a slow or stuck client can be cut at once: melody offers no
// way to close a session's socket without queueing a close frame behind a
// full buffer. It is only used during the upgrade (melody keeps no
// reference to the ResponseWriter afterwards).
type hijackCapture struct {
	http.ResponseWriter
	cl *client
}

func (h *hijackCapture) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := h.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("socket: response writer cannot hijack")
	}
	conn, rw, err := hj.Hijack()
	if err == nil {
		conn = &tooBigConn{Conn: conn, more: h.cl.out.moreQueued}
		h.cl.raw.Store(&conn)
	}
	return conn, rw, err
}

// tooBigConn wraps the hijacked connection for two reasons.
//
// It makes a frame beyond the read limit close the socket with 4008
// (protocol v1: oversized frames beyond tolerance are a policy violation)
// instead of 1009. gorilla/websocket enforces the limit from the frame
// header, before reading the payload, and then writes its close frame
// itself, as one unmasked control frame in one Write: status 1009, no
// reason. That exact frame is rewritten; the server never sends 1009
// otherwise, and no data frame starts with a close opcode.
//
// And it coalesces writes: melody writes one frame per Write (a syscall
// each, half the gateway's CPU under fan-out). A data frame with more
// frames already queued behind it in melody's channel (more reports it)
// is held and goes out in one write with the next one; the last queued
// frame, and any control frame, flushes. Nothing waits on a timer: a
// held frame is only ever followed by a write on the same writer
// goroutine. Gorilla serializes its writes (one at a time per
// connection), so mu is uncontended; it only orders the buffer.
type tooBigConn struct {
	net.Conn
	more func() bool // more data frames are queued to be written after this one

	mu  sync.Mutex
	buf *[]byte // held frames, from holdPool; nil when nothing is held
	rem int     // payload bytes of the last frame still to come (it spans Writes)
	// The write deadline is set per frame (gorilla), a runtime timer
	// update each: it is kept here and set on the connection only before
	// a write that goes out, which is all a deadline applies to.
	deadline, applied time.Time
}

func (c *tooBigConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	return nil
}

func (c *tooBigConn) SetDeadline(t time.Time) error {
	if err := c.Conn.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

// write writes p to the connection under the latest write deadline.
// Caller holds c.mu.
func (c *tooBigConn) write(p []byte) error {
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

var holdPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

var (
	closeTooBig = []byte{0x88, 0x02, 0x03, 0xF1} // FIN+close, 2 bytes, 1009
	closePolicy = func() []byte {
		reason := "frame too large"
		b := []byte{0x88, byte(2 + len(reason)), 0x0F, 0xA8} // 4008
		return append(b, reason...)
	}()
)

func (c *tooBigConn) Write(p []byte) (int, error) {
	n := len(p)
	c.mu.Lock()
	defer c.mu.Unlock()
	hold := false
	if c.rem > 0 {
		// The rest of a frame whose start was written before.
		c.rem -= min(c.rem, len(p))
		hold = c.rem > 0 || c.moreQueued()
	} else if len(p) == len(closeTooBig) && string(p) == string(closeTooBig) {
		p = closePolicy
	} else if total, ok := dataFrameLen(p); ok {
		c.rem = max(total-len(p), 0)
		hold = c.rem > 0 || c.moreQueued()
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

func (c *tooBigConn) release(b []byte) {
	if cap(b) <= 64<<10 {
		*c.buf = b[:0]
		holdPool.Put(c.buf)
	}
	c.buf = nil
}

func (c *tooBigConn) moreQueued() bool { return c.more != nil && c.more() }

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
