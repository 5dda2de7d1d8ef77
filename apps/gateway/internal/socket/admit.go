package socket

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/chatforge/chat/apps/gateway/internal/limits"
	"github.com/chatforge/chat/platform/web"
)

// AdmitSocket applies the per-user socket limit (Deps.Sockets, across
// every gateway) to a socket about to be upgraded, for every transport
// (/ws and Socket.IO). It returns the new socket's connection id, whose
// lease it took; the caller releases it with releaseSocket if the upgrade
// fails, and the socket's close releases it otherwise. When it returns
// false it has answered: 429 over the limit, 503 when Redis cannot say,
// both problem+json with Retry-After.
func (g *Gateway) AdmitSocket(c *gin.Context, userID string) (connID string, ok bool) {
	connID = uuid.NewString()
	if g.Sockets == nil {
		return connID, true
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	ok, retry, err := g.Sockets.Acquire(ctx, limits.Lease{UserID: userID, ConnID: connID})
	switch {
	case err != nil:
		g.Log.WarnContext(ctx, "socket limit check failed", "err", err)
		g.Metrics.Refused("unavailable")
		c.Header("Retry-After", "1")
		web.WriteProblem(c, http.StatusServiceUnavailable, "cannot admit a socket right now; retry shortly")
		return "", false
	case !ok:
		g.Metrics.Refused("too_many_sockets")
		c.Header("Retry-After", strconv.Itoa(int(math.Ceil(retry.Seconds()))))
		web.WriteProblem(c, http.StatusTooManyRequests,
			"too many open sockets for this user (at most "+strconv.Itoa(g.Sockets.Max())+"); close one first")
		return "", false
	}
	return connID, true
}

// releaseSocket gives back the lease of a socket that never opened.
func (g *Gateway) releaseSocket(userID, connID string) {
	if g.Sockets == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(g.life), 2*time.Second)
	defer cancel()
	if err := g.Sockets.Release(ctx, []limits.Lease{{UserID: userID, ConnID: connID}}); err != nil {
		g.Log.Warn("socket lease release failed", "conn", connID, "err", err)
	}
}
