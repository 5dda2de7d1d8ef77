package httpapi

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"time"

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

// allowLogin refuses (429) a login from a client address that has failed
// too often for this account (see Limits): successes cost nothing, so the
// owner is never locked out by someone else's failures from elsewhere.
func (h *Handler) allowLogin(c *gin.Context, email string) bool {
	key := domain.NormalizeEmail(email)
	if h.fails == nil || key == "" || len(key) > domain.MaxEmailLen {
		return true
	}
	ok, retryAfter := h.fails.Check(c.Request.Context(), key, c.ClientIP())
	if !ok {
		c.Header("Retry-After", strconv.Itoa(max(1, int(math.Ceil(retryAfter.Seconds())))))
		web.WriteProblem(c, http.StatusTooManyRequests, "too many failed logins for this account from this address, retry later")
	}
	return ok
}

// loginFailed counts a wrong password (or unknown account) for allowLogin.
// The request's cancellation is dropped: a client hanging up after its
// guess must not escape the count.
func (h *Handler) loginFailed(c *gin.Context, email string) {
	key := domain.NormalizeEmail(email)
	if h.fails == nil || key == "" || len(key) > domain.MaxEmailLen {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), 2*time.Second)
	defer cancel()
	h.fails.Fail(ctx, key, c.ClientIP())
}
