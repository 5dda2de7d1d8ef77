package socket

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"

	"github.com/gin-gonic/gin"
	"github.com/olahol/melody"

	"github.com/chatforge/chat/apps/gateway/internal/wsout"
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
	err := g.m.HandleRequest(w, r.WithContext(context.WithValue(r.Context(), clientKey{}, cl)))
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
		// Writes coalesce while frames are queued (wsout.Conn), and a
		// frame beyond the read limit closes with 4008, not 1009. With
		// DirectWrites, a frame with nothing queued ahead of it is written
		// at once by whoever sends it (the fan-out, an ack), without waking
		// melody's writer.
		wc := &wsout.Conn{Conn: conn, More: h.cl.out.MoreQueued, Rewrite: rewriteTooBig, WriteWait: h.cl.g.cfg.WriteWait}
		if h.cl.g.cfg.DirectWrites {
			h.cl.out.Direct = h.cl.g.directWrite(wc.WriteNow)
		}
		conn = wc
		h.cl.raw.Store(&conn)
	}
	return conn, rw, err
}

// closeTooBig is the close frame gorilla/websocket writes itself when a
// frame is beyond the read limit (refused from its header, before the
// payload is read): one unmasked control frame in one Write, status 1009,
// no reason. Protocol v1 wants 4008 (oversized frames beyond tolerance are
// a policy violation): rewriteTooBig replaces that exact frame (see
// wsout.Conn.Rewrite); the server never sends 1009 otherwise, and no data
// frame starts with a close opcode.
var (
	closeTooBig = []byte{0x88, 0x02, 0x03, 0xF1} // FIN+close, 2 bytes, 1009
	closePolicy = func() []byte {
		reason := "frame too large"
		b := []byte{0x88, byte(2 + len(reason)), 0x0F, 0xA8} // 4008
		return append(b, reason...)
	}()
)

func rewriteTooBig(p []byte) []byte {
	if len(p) == len(closeTooBig) && string(p) == string(closeTooBig) {
		return closePolicy
	}
	return p
}
