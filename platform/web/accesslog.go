package web

import (
	"log/slog"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/chatforge/chat/platform/metrics"
)

// probeRoutes are polled by load balancers and Prometheus every few seconds;
// their successful requests are logged at debug level to keep the log useful.
var probeRoutes = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// AccessLog logs one record per request once it is handled: method, route
// template, path (never the query, which may carry tokens), status, duration,
// response size, client IP, and the errors attached with c.Error. The request
// ID comes from the context. 5xx answers are logged at error level, except
// for a client that went away before the answer (ClientGone): that is
// logged at info level with status 499 (StatusClientClosedRequest) and
// "client_closed": true, whatever a handler answered.
func AccessLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()

		status := c.Writer.Status()
		// At LOG_LEVEL=warn (production) a plain success or client error
		// logs nothing: decide that before any other work.
		if status < 500 && status != StatusClientClosedRequest && !log.Enabled(c.Request.Context(), slog.LevelInfo) {
			return
		}
		route := c.FullPath()
		if route == "" {
			route = metrics.UnmatchedRoute
		}
		gone := status == StatusClientClosedRequest || (status >= 500 && ClientGone(c))
		if gone {
			status = StatusClientClosedRequest
		}
		level := slog.LevelInfo
		switch {
		case gone:
		case status >= 500:
			level = slog.LevelError
		case status < 400 && probeRoutes[route]:
			level = slog.LevelDebug
		}
		ctx := c.Request.Context()
		if !log.Enabled(ctx, level) {
			return
		}

		attrs := []slog.Attr{
			slog.String("method", c.Request.Method),
			slog.String("route", route),
			slog.String("path", c.Request.URL.Path),
			slog.Int("status", status),
			slog.Duration("duration", time.Since(start)),
			slog.Int("size", c.Writer.Size()),
			slog.String("client_ip", c.ClientIP()),
		}
		if gone {
			attrs = append(attrs, slog.Bool("client_closed", true))
		}
		if len(c.Errors) > 0 {
			attrs = append(attrs, slog.String("error", strings.Join(c.Errors.Errors(), "; ")))
		}
		log.LogAttrs(ctx, level, "http request", attrs...)
	}
}
