package web

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
)

// BodyLimit caps request bodies at limit bytes. A request that declares a
// larger Content-Length is answered 413 at once; a body that turns out larger
// while being read (chunked, or a lying length) fails the read with
// *http.MaxBytesError, which Bind answers with 413.
func BodyLimit(limit int64) gin.HandlerFunc { return RouteBodyLimit(limit, nil) }

// RouteBodyLimit is BodyLimit with per-route limits: perRoute maps a route
// path (gin's FullPath) to its own limit; other routes get limit.
func RouteBodyLimit(def int64, perRoute map[string]int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		limit := def
		if l, ok := perRoute[c.FullPath()]; ok {
			limit = l
		}
		if c.Request.ContentLength > limit {
			WriteProblem(c, http.StatusRequestEntityTooLarge, tooLarge(limit))
			return
		}
		// A request without a body (every GET) needs no reader.
		if c.Request.Body != nil && c.Request.Body != http.NoBody {
			c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
		}
	}
}

func tooLarge(limit int64) string {
	return fmt.Sprintf("request body must not exceed %d bytes", limit)
}
