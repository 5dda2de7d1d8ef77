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
	connID, retry, err := g.acquireSocket(c.Request.Context(), userID)
	switch {
	case err != nil:
		c.Header("Retry-After", "1")
		web.WriteProblem(c, http.StatusServiceUnavailable, "cannot admit a socket right now; retry shortly")
		return "", false
	case connID == "":
		c.Header("Retry-After", strconv.Itoa(int(math.Ceil(retry.Seconds()))))
		web.WriteProblem(c, http.StatusTooManyRequests, g.tooManySockets())
		return "", false
	}
	return connID, true
}

// acquireSocket takes a lease for a new socket of userID and returns its
// connection id; "" with a nil error means the user is at the limit (retry
// says when a lease expires at the latest), an error that Redis could not
// say. Refusals are counted in metrics.
func (g *Gateway) acquireSocket(ctx context.Context, userID string) (connID string, retry time.Duration, err error) {
	connID = uuid.NewString()
	if g.Sockets == nil {
		return connID, 0, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	ok, retry, err := g.Sockets.Acquire(ctx, limits.Lease{UserID: userID, ConnID: connID})
	switch {
	case err != nil:
		g.Log.WarnContext(ctx, "socket limit check failed", "err", err)
		g.Metrics.Refused("unavailable")
		return "", 0, err
	case !ok:
		g.Metrics.Refused("too_many_sockets")
		return "", retry, nil
	}
	return connID, 0, nil
}

func (g *Gateway) tooManySockets() string {
	return "too many open sockets for this user (at most " + strconv.Itoa(g.Sockets.Max()) + "); close one first"
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
