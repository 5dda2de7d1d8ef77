package web

import (
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/gin-gonic/gin"
)

// Recovery turns a panic in a later handler into a plain 500 problem (the
// panic value is a bug report, not something to show a client) and logs the
// value and stack with the request ID. It builds on gin's recovery, which
// already treats a broken client connection as no panic worth reporting.
func Recovery(log *slog.Logger) gin.HandlerFunc {
	return gin.CustomRecoveryWithWriter(nil, func(c *gin.Context, rec any) {
		log.ErrorContext(c.Request.Context(), "panic recovered",
			slog.Any("panic", rec),
			slog.String("method", c.Request.Method),
			slog.String("path", c.Request.URL.Path),
			slog.String("stack", string(debug.Stack())),
		)
		if c.Writer.Written() {
			// Part of the answer is out: nothing sensible can follow it.
			c.Abort()
			return
		}
		WriteProblem(c, http.StatusInternalServerError, "an unexpected error occurred")
	})
}
