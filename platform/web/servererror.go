package web

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/chatforge/chat/platform/outage"
)

// RetryAfterSeconds is the Retry-After of a 503: long enough for a
// restarting PostgreSQL or Redis or a failover, short enough that clients
// retry promptly.
const RetryAfterSeconds = 2

// UnavailableDetail is the detail of a 503 for a dependency outage.
const UnavailableDetail = "a service this request needs is temporarily unavailable; retry later"

// WriteServerError answers an error that no table of the caller maps, and
// logs it as what it is:
//
//   - the client went away first (ClientGone): err is most likely its
//     cancelled context cutting a call short; info, and 499 is recorded
//     with no answer;
//   - a dependency outage (outage.ErrUnavailable, marked by
//     platform/database and platform/redisconn): warn, 503 problem+json
//     with Retry-After;
//   - anything else is a bug: error, plain 500 without details.
//
// what names the request in the log line ("identity request" logs
// "identity request failed"); the logger adds the request ID from the
// context.
func WriteServerError(c *gin.Context, log *slog.Logger, what string, err error) {
	_ = c.Error(err)
	ctx := c.Request.Context()
	attrs := []any{"method", c.Request.Method, "route", c.FullPath(), "err", err}
	switch {
	case ClientGone(c):
		log.InfoContext(ctx, what+" abandoned by client", attrs...)
		WriteProblem(c, http.StatusInternalServerError, "")
	case errors.Is(err, outage.ErrUnavailable):
		log.WarnContext(ctx, what+" failed: dependency unavailable", append(attrs, "dependency", outage.Dependency(err))...)
		WriteProblem(c, http.StatusServiceUnavailable, UnavailableDetail)
	default:
		log.ErrorContext(ctx, what+" failed", attrs...)
		WriteProblem(c, http.StatusInternalServerError, "")
	}
}
