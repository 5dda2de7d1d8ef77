package httpapi

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/chatforge/chat/modules/identity/internal/app"
	"github.com/chatforge/chat/modules/identity/internal/domain"
	"github.com/chatforge/chat/platform/authn"
	"github.com/chatforge/chat/platform/web"
)

// problem is how one sentinel error is answered.
type problem struct {
	status int
	detail string
	fields []web.FieldError // fixed field errors, if any
	bearer bool             // add a WWW-Authenticate: Bearer challenge (401)
}

// problems is the one table from the module's errors to HTTP. Order
// matters only in that the first match wins. ErrInvalidInput's field errors
// come from the error itself (see fieldErrors).
var problems = []struct {
	err error
	p   problem
}{
	{domain.ErrInvalidInput, problem{status: http.StatusUnprocessableEntity, detail: "request has invalid fields"}},
	{domain.ErrEmailTaken, problem{status: http.StatusConflict, detail: "email already registered"}},
	// One answer for unknown e-mail and wrong password: no enumeration.
	{domain.ErrInvalidCredentials, problem{status: http.StatusUnauthorized, detail: "invalid email or password", bearer: true}},
	{domain.ErrInvalidRefreshToken, problem{status: http.StatusUnauthorized, detail: "invalid or expired refresh token", bearer: true}},
	{domain.ErrRefreshReused, problem{status: http.StatusUnauthorized, detail: "refresh token already used; the session has been revoked", bearer: true}},
	{domain.ErrInvalidToken, problem{status: http.StatusBadRequest, detail: "invalid or expired token"}},
	// A wrong current password is a mistake in one field of an otherwise
	// well-formed request by an authenticated caller, not a failed
	// authentication: 422 with the field named, so clients show it inline
	// and do not mistake it for a dead session (401) or a permission (403).
	{domain.ErrWrongPassword, problem{status: http.StatusUnprocessableEntity, detail: "current password is incorrect",
		fields: []web.FieldError{{Field: "currentPassword", Message: "is incorrect"}}}},
	// Also for sessions of other users: 404 for what the caller may not see.
	{domain.ErrSessionNotFound, problem{status: http.StatusNotFound, detail: "session not found"}},
	// The caller's own account is gone (a token outlived its user).
	{domain.ErrUserNotFound, problem{status: http.StatusNotFound, detail: "user not found"}},
}

// writeError answers err with its problem from the table, or logs it with
// the request ID and answers a plain 500.
func (h *Handler) writeError(c *gin.Context, err error) {
	for _, e := range problems {
		if !errors.Is(err, e.err) {
			continue
		}
		fields := e.p.fields
		if e.err == domain.ErrInvalidInput {
			fields = fieldErrors(err)
		}
		if e.p.bearer {
			c.Header("WWW-Authenticate", `Bearer`)
		}
		web.WriteProblem(c, e.p.status, e.p.detail, fields...)
		return
	}
	h.internalError(c, err)
}

// internalError answers an error the table does not map: 503 with
// Retry-After for a dependency outage (PostgreSQL or Redis unreachable,
// marked by the platform), 499 recorded for a client that hung up first,
// else a logged plain 500 (see web.WriteServerError).
func (h *Handler) internalError(c *gin.Context, err error) {
	web.WriteServerError(c, h.log, "identity request", err)
}

// fieldErrors collects every *domain.InvalidError in err's tree (use cases
// join them to report all bad fields at once).
func fieldErrors(err error) []web.FieldError {
	var out []web.FieldError
	var walk func(error)
	walk = func(err error) {
		if ie, ok := err.(*domain.InvalidError); ok {
			out = append(out, web.FieldError{Field: ie.Field, Message: ie.Reason})
			return
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	return out
}

// principal returns the caller set by the auth middleware. The IDs come
// from a token we signed, so a parse failure means the route was mounted
// without auth or the token is foreign: either way, unauthenticated.
func (h *Handler) principal(c *gin.Context) (app.Principal, bool) {
	p := authn.PrincipalFrom(c)
	uid, err1 := uuid.Parse(p.UserID)
	sid, err2 := uuid.Parse(p.SessionID)
	if err1 != nil || err2 != nil {
		c.Header("WWW-Authenticate", `Bearer`)
		web.WriteProblem(c, http.StatusUnauthorized, "authentication required")
		return app.Principal{}, false
	}
	return app.Principal{UserID: uid, SessionID: sid}, true
}
