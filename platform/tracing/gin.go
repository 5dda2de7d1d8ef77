package tracing

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
)

// headerTraceparent is the W3C header, in canonical form.
var headerTraceparent = http.CanonicalHeaderKey("traceparent")

// Gin returns a middleware giving each request a server span named
// "<METHOD> <route>", continuing the caller's trace when it sent a valid
// traceparent header (a browser SDK or a proxy that traces). Off, it
// returns nil: add it to a chain only when not nil, so an untraced
// request pays nothing.
func (t *Tracing) Gin() gin.HandlerFunc {
	if t == nil {
		return nil
	}
	return func(c *gin.Context) {
		var tp string
		if v := c.Request.Header[headerTraceparent]; len(v) == 1 {
			tp = v[0]
		}
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		ctx, span := t.StartRemote(c.Request.Context(), c.Request.Method+" "+route, tp, Server)
		defer span.End()
		span.SetAttributes(
			attribute.String("http.request.method", c.Request.Method),
			attribute.String("http.route", route),
		)
		c.Request = c.Request.WithContext(ctx)
		c.Next()
		status := c.Writer.Status()
		span.SetAttributes(attribute.Int("http.response.status_code", status))
		if status >= 500 {
			span.SetStatus(codes.Error, http.StatusText(status))
		}
	}
}
