package socket

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/gin-gonic/gin"

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
	claims, err := g.Verifier.Verify(token, g.Now())
	if err != nil {
		detail := "invalid access token"
		if errors.Is(err, authn.ErrExpiredToken) {
			detail = "access token expired"
		}
		unauthorized(c, detail)
		return
	}
	revoked, err := g.Revocations.IsRevoked(c.Request.Context(), claims.SessionID)
	if err != nil {
		g.Log.ErrorContext(c.Request.Context(), "revocation check failed", "err", err)
		web.WriteProblem(c, http.StatusServiceUnavailable, "cannot verify the session right now")
		return
	}
	if revoked {
		unauthorized(c, "session revoked")
		return
	}
	cl := newClient(g, claims)
	cap := &hijackCapture{ResponseWriter: c.Writer}
	cl.raw = cap
	// Blocks for the life of the socket; melody answers a failed handshake.
	if err := g.m.HandleRequestWithKeys(cap, c.Request, map[string]any{clientKey: cl}); err != nil {
		g.Log.DebugContext(c.Request.Context(), "websocket upgrade failed", "err", err)
	}
}

func unauthorized(c *gin.Context, detail string) {
	c.Header("WWW-Authenticate", `Bearer error="invalid_token", error_description="`+detail+`"`)
	web.WriteProblem(c, http.StatusUnauthorized, detail)
}

// bearer takes the token from the Authorization header, else from the
// access_token query parameter (browsers cannot set headers on a
// WebSocket; the access log never records queries).
func bearer(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(tok)
		}
		return ""
	}
	return r.URL.Query().Get("access_token")
}

// hijackCapture keeps the raw connection the upgrade hijacks, so a slow or
// stuck client can be cut at once: melody offers no way to close a
// session's socket without queueing a close frame behind a full buffer.
type hijackCapture struct {
	http.ResponseWriter
	conn atomic.Pointer[net.Conn]
}

func (h *hijackCapture) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := h.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("socket: response writer cannot hijack")
	}
	conn, rw, err := hj.Hijack()
	if err == nil {
		conn = &tooBigConn{Conn: conn}
		h.conn.Store(&conn)
	}
	return conn, rw, err
}

// tooBigConn makes a frame beyond the read limit close the socket with
// 4008 (protocol v1: oversized frames beyond tolerance are a policy
// violation) instead of 1009. gorilla/websocket enforces the limit from
// the frame header, before reading the payload, and then writes its close
// frame itself, as one unmasked control frame in one Write: status 1009,
// no reason. That exact frame is rewritten; the server never sends 1009
// otherwise, and no data frame starts with a close opcode.
type tooBigConn struct{ net.Conn }

var (
	closeTooBig = []byte{0x88, 0x02, 0x03, 0xF1} // FIN+close, 2 bytes, 1009
	closePolicy = func() []byte {
		reason := "frame too large"
		b := []byte{0x88, byte(2 + len(reason)), 0x0F, 0xA8} // 4008
		return append(b, reason...)
	}()
)

func (c *tooBigConn) Write(p []byte) (int, error) {
	if len(p) == len(closeTooBig) && string(p) == string(closeTooBig) {
		if _, err := c.Conn.Write(closePolicy); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// kill closes the raw connection; melody's reader then fails and the
// session ends normally (disconnect handler included).
func (h *hijackCapture) kill() {
	if c := h.conn.Load(); c != nil {
		_ = (*c).Close()
	}
}
