package authn

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/chatforge/chat/platform/web"
)

// Principal is the authenticated caller of a request.
type Principal struct {
	UserID    string
	SessionID string
	// Bot is set for a bot authenticated with "Authorization: Bot <token>"
	// (WithBots); its SessionID is its user id.
	Bot bool
}

// principalKey keys the Principal in a request context; unexported so only
// this package can set it.
type principalKey struct{}

// Middleware authenticates requests by their "Authorization: Bearer <token>"
// header: the token must verify with v and its session must not be revoked
// in r (r may be nil where revocations are not checked). On success the
// Principal is stored in the request context (FromContext, PrincipalFrom).
//
// Failures answer problem+json: 401 with a WWW-Authenticate challenge for a
// missing, invalid, expired or revoked token; 503 when the revocation store
// cannot be reached, because letting a revoked session through is worse than
// a retryable error.
func Middleware(v *Verifier, r *Revocations, opts ...MiddlewareOption) gin.HandlerFunc {
	var o middlewareOptions
	for _, opt := range opts {
		opt(&o)
	}
	return func(c *gin.Context) {
		if o.bots != nil {
			if scheme, tok := Credentials(c.GetHeader("Authorization")); scheme == "bot" {
				authenticateBot(c, o.bots, tok)
				return
			}
		}
		token, ok := bearerToken(c.GetHeader("Authorization"))
		if !ok {
			// RFC 6750 §3.1: no error code when no credentials were sent.
			unauthorized(c, `Bearer`, "missing bearer token")
			return
		}
		claims, err := v.Verify(token, time.Now())
		if err != nil {
			detail := "invalid access token"
			if errors.Is(err, ErrExpiredToken) {
				detail = "access token expired"
			}
			_ = c.Error(err) // for the access log; never shown to the client
			unauthorized(c, `Bearer error="invalid_token", error_description="`+detail+`"`, detail)
			return
		}
		if r != nil {
			revoked, err := r.IsRevoked(c.Request.Context(), claims.SessionID)
			if err != nil {
				_ = c.Error(err)
				web.WriteProblem(c, http.StatusServiceUnavailable, "authentication temporarily unavailable")
				c.Abort()
				return
			}
			if revoked {
				unauthorized(c, `Bearer error="invalid_token", error_description="session revoked"`, "session revoked")
				return
			}
		}
		p := Principal{UserID: claims.UserID, SessionID: claims.SessionID}
		c.Request = c.Request.WithContext(context.WithValue(c.Request.Context(), principalKey{}, p))
		c.Next()
	}
}

// MiddlewareOption tunes Middleware.
type MiddlewareOption func(*middlewareOptions)

type middlewareOptions struct{ bots BotResolver }

// WithBots also admits "Authorization: Bot <token>", resolved by b; the
// Principal then has Bot set.
func WithBots(b BotResolver) MiddlewareOption {
	return func(o *middlewareOptions) { o.bots = b }
}

// authenticateBot admits a bot token: 401 when it is unknown or revoked,
// 503 when it cannot be looked up.
func authenticateBot(c *gin.Context, bots BotResolver, token string) {
	p, err := bots.ResolveBot(c.Request.Context(), token)
	switch {
	case errors.Is(err, ErrUnknownBotToken):
		unauthorized(c, `Bot error="invalid_token"`, "invalid or revoked bot token")
		return
	case err != nil:
		_ = c.Error(err)
		web.WriteProblem(c, http.StatusServiceUnavailable, "authentication temporarily unavailable")
		return
	}
	c.Request = c.Request.WithContext(context.WithValue(c.Request.Context(), principalKey{}, p))
	c.Next()
}

// HumansOnly refuses bots (403, code bot_forbidden) on routes that only a
// person may use: password, sessions, sign-out. It runs after Middleware.
func HumansOnly(c *gin.Context) {
	if PrincipalFrom(c).Bot {
		web.WriteProblemCode(c, http.StatusForbidden, "bot_forbidden", "bots cannot use this endpoint")
		return
	}
	c.Next()
}

func unauthorized(c *gin.Context, challenge, detail string) {
	c.Header("WWW-Authenticate", challenge)
	web.WriteProblem(c, http.StatusUnauthorized, detail)
	c.Abort()
}

// bearerToken extracts the token of an "Authorization: Bearer <token>"
// header; the scheme is case-insensitive (RFC 9110 §11.1).
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// PrincipalFrom returns the Principal stored by Middleware, or the zero
// Principal on a route without it.
func PrincipalFrom(c *gin.Context) Principal {
	p, _ := FromContext(c.Request.Context())
	return p
}

// FromContext returns the Principal stored by Middleware in a request
// context, so code below the HTTP layer can read it from ctx alone.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
