package ratelimit

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/chatforge/chat/platform/web"
)

// Middleware limits requests to lim per key(c). An empty key skips the
// check (e.g. a per-user limit on an anonymous request). A refused request
// gets 429 problem+json with Retry-After in whole seconds, rounded up and at
// least 1, so a client that waits that long is allowed.
func Middleware(l *Limiter, lim Limit, key func(*gin.Context) string) gin.HandlerFunc {
	return middleware(l.Allow, lim, key)
}

// BatchedMiddleware is Middleware over AllowBatched: no Redis round trip
// per request while the Limiter's Run is going, for limits that tolerate
// the bounded excess described there (the per-user API limit).
func BatchedMiddleware(l *Limiter, lim Limit, key func(*gin.Context) string) gin.HandlerFunc {
	return middleware(l.AllowBatched, lim, key)
}

type allowFunc func(ctx context.Context, key string, lim Limit) (bool, time.Duration, error)

func middleware(allow allowFunc, lim Limit, key func(*gin.Context) string) gin.HandlerFunc {
	return func(c *gin.Context) {
		k := key(c)
		if k == "" {
			c.Next()
			return
		}
		allowed, retryAfter, err := allow(c.Request.Context(), k, lim)
		if err != nil {
			_ = c.Error(err)
			web.WriteProblem(c, http.StatusInternalServerError, "")
			c.Abort()
			return
		}
		if !allowed {
			c.Header("Retry-After", strconv.Itoa(retryAfterSeconds(retryAfter)))
			web.WriteProblem(c, http.StatusTooManyRequests, "rate limit exceeded, retry later")
			c.Abort()
			return
		}
		c.Next()
	}
}

// retryAfterSeconds renders d for the Retry-After header.
func retryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}
