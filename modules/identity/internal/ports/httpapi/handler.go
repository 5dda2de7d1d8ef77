// Package httpapi is the identity module's REST port: gin handlers, their
// JSON DTOs and the one table mapping the module's errors to problem+json.
// Handlers decode and validate the shape of a request (web.Bind), call one
// use case and encode its result; the rules live in app and domain.
package httpapi

import (
	"log/slog"

	"github.com/gin-gonic/gin"

	"github.com/chatforge/chat/modules/identity/internal/app"
	"github.com/chatforge/chat/platform/authn"
	"github.com/chatforge/chat/platform/ratelimit"
)

// Limits are the /api/auth/* rate limits. A zero Limit disables its check.
// PerAccount counts register and password/forgot attempts; logins are
// bounded by their failures only (ratelimit.Failures):
// LoginFailuresPerAddress per (account, client address) and
// LoginFailuresPerAccount per account, the latter applying only to
// addresses that failed for that account.
type Limits struct {
	PerIP                   ratelimit.Limit
	PerAccount              ratelimit.Limit
	LoginFailuresPerAddress ratelimit.Limit
	LoginFailuresPerAccount ratelimit.Limit
}

// Handler serves the identity routes. Safe for concurrent use.
type Handler struct {
	app     *app.App
	limiter *ratelimit.Limiter // nil: no rate limiting (tests)
	limits  Limits
	fails   *ratelimit.Failures // nil when limiter is
	log     *slog.Logger
}

// New returns a Handler over a. limiter may be nil.
func New(a *app.App, limiter *ratelimit.Limiter, limits Limits, log *slog.Logger) *Handler {
	h := &Handler{app: a, limiter: limiter, limits: limits, log: log}
	if limiter != nil {
		h.fails = ratelimit.NewFailures(limiter, limits.LoginFailuresPerAddress, limits.LoginFailuresPerAccount)
	}
	return h
}

// Routes mounts /api/auth/* and /api/user/* on r. auth authenticates the
// caller (platform/authn.Middleware); userLimit rate-limits authenticated
// users and runs after auth. Either may be nil, which skips it (tests).
func (h *Handler) Routes(r gin.IRouter, auth, userLimit gin.HandlerFunc) {
	authed := chain(auth, userLimit)

	a := r.Group("/api/auth", chain(h.ipLimit())...)
	a.POST("/register", h.register)
	a.POST("/login", h.login)
	a.POST("/refresh", h.refresh)
	// Bots (authn.WithBots) hold a token, not a session: sign-out,
	// password and session routes are for people (403 bot_forbidden).
	human := authn.HumansOnly
	a.POST("/logout", append(chain(auth), human, h.logout)...)
	a.POST("/verify-email", h.verifyEmail)
	a.POST("/verify-email/resend", append(authed, human, h.resendVerification)...)
	a.POST("/password/forgot", h.forgotPassword)
	a.POST("/password/reset", h.resetPassword)

	u := r.Group("/api/user", authed...)
	u.GET("/profile", h.profile)
	u.PUT("/profile", h.updateProfile)
	u.PUT("/password", human, h.changePassword)
	u.GET("/sessions", human, h.sessions)
	u.DELETE("/sessions/:id", human, h.revokeSession)
}

// chain drops nil handlers, so optional middleware can be passed as nil.
func chain(hs ...gin.HandlerFunc) []gin.HandlerFunc {
	out := make([]gin.HandlerFunc, 0, len(hs))
	for _, h := range hs {
		if h != nil {
			out = append(out, h)
		}
	}
	return out
}
