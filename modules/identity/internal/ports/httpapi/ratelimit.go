package httpapi

import (
	"math"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/chatforge/chat/modules/identity/internal/domain"
	"github.com/chatforge/chat/platform/ratelimit"
	"github.com/chatforge/chat/platform/web"
)

// ipLimit limits every /api/auth/* request per client IP, or returns nil
// when limiting is off.
func (h *Handler) ipLimit() gin.HandlerFunc {
	if h.limiter == nil || h.limits.PerIP == (ratelimit.Limit{}) {
		return nil
	}
	return ratelimit.Middleware(h.limiter, h.limits.PerIP, func(c *gin.Context) string {
		return "auth:ip:" + c.ClientIP()
	})
}

// allowAccount spends one attempt of the per-account budget of email and
// answers 429 itself when it is exhausted. It runs in the handler because
// the key comes from the decoded body. The key is the normalized address,
// so case and spacing variants share one budget; an address too long to be
// valid is not counted (the use case refuses it anyway).
func (h *Handler) allowAccount(c *gin.Context, email string) bool {
	key := domain.NormalizeEmail(email)
	if h.limiter == nil || h.limits.PerAccount == (ratelimit.Limit{}) || key == "" || len(key) > domain.MaxEmailLen {
		return true
	}
	allowed, retryAfter, err := h.limiter.Allow(c.Request.Context(), "auth:acct:"+key, h.limits.PerAccount)
	if err != nil {
		h.internalError(c, err)
		return false
	}
	if !allowed {
		c.Header("Retry-After", strconv.Itoa(max(1, int(math.Ceil(retryAfter.Seconds())))))
		web.WriteProblem(c, http.StatusTooManyRequests, "too many attempts for this account, retry later")
		return false
	}
	return true
}
