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
		h.conn.Store(&conn)
	}
	return conn, rw, err
}

// kill closes the raw connection; melody's reader then fails and the
// session ends normally (disconnect handler included).
func (h *hijackCapture) kill() {
	if c := h.conn.Load(); c != nil {
		_ = (*c).Close()
	}
}
