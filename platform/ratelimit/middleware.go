package ratelimit

import (
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
	return func(c *gin.Context) {
		k := key(c)
		if k == "" {
			c.Next()
			return
		}
		allowed, retryAfter, err := l.Allow(c.Request.Context(), k, lim)
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
