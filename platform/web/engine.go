// Package web is the HTTP edge shared by the REST binaries: a gin engine with
// the standard middleware chain, RFC 9457 problem details, and strict JSON
// request decoding and validation.
//
// Every error answered through this package is application/problem+json and
// carries the request ID, so a client report can be matched to the logs.
package web

import (
	"log/slog"

	"github.com/gin-gonic/gin"

	"github.com/chatforge/chat/platform/metrics"
	"github.com/chatforge/chat/platform/tracing"
)

// DefaultBodyLimit caps request bodies when Options.BodyLimit is not set.
const DefaultBodyLimit int64 = 1 << 20 // 1 MiB

// Options configures NewEngine.
type Options struct {
	// CORSOrigins lists the browser origins allowed to call the API
	// (exact match, e.g. "https://app.example.com"); "*" allows any origin.
	// Empty means same-origin only.
	CORSOrigins []string
	// BodyLimit caps request bodies in bytes; <= 0 means DefaultBodyLimit.
	BodyLimit int64
	// RouteBodyLimits raises (or lowers) the cap for single routes, keyed
	// by route path as registered (e.g. "/api/chat/attachments"): uploads
	// need far more than JSON bodies.
	RouteBodyLimits map[string]int64
	// Metrics, when not nil, records every request.
	Metrics *metrics.HTTP
	// Tracing, when on, gives every request a server span (continuing the
	// caller's traceparent header); off (nil) adds nothing to the chain.
	Tracing *tracing.Tracing
}

// NewEngine returns a gin engine with, in order: RequestID, tracing (when
// o.Tracing is on), metrics (when o.Metrics is set), AccessLog, Recovery, SecurityHeaders, CORS and BodyLimit,
// plus problem+json answers for unknown routes (404) and methods (405).
//
// The middleware order matters: the request ID comes first so that every
// later log line and problem carries it, and metrics and the access log wrap
// Recovery so that they see the 500 it writes.
//
// No proxy is trusted, so c.ClientIP() is the peer address and clients cannot
// spoof it with X-Forwarded-For; behind a load balancer call
// engine.SetTrustedProxies with its addresses. The gin mode (debug output) is
// process-wide and left to main.
func NewEngine(log *slog.Logger, o Options) *gin.Engine {
	e := gin.New()
	e.HandleMethodNotAllowed = true
	// Lets handlers pass *gin.Context as a context.Context and still see the
	// request's values (request ID, principal) and cancellation.
	e.ContextWithFallback = true
	_ = e.SetTrustedProxies(nil) // cannot fail for nil

	limit := o.BodyLimit
	if limit <= 0 {
		limit = DefaultBodyLimit
	}

	chain := []gin.HandlerFunc{RequestID()}
	// Right after the request ID: the access log and every later line of
	// the request carry its trace id.
	if mw := o.Tracing.Gin(); mw != nil {
		chain = append(chain, mw)
	}
	if o.Metrics != nil {
		chain = append(chain, o.Metrics.Middleware())
	}
	chain = append(chain,
		AccessLog(log),
		Recovery(log),
		SecurityHeaders(),
		CORS(o.CORSOrigins),
		RouteBodyLimit(limit, o.RouteBodyLimits),
	)
	e.Use(chain...)
	e.NoRoute(NoRoute)
	e.NoMethod(NoMethod)
	return e
}
