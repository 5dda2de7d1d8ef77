package web

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/chatforge/chat/platform/logging"
)

// HeaderRequestID carries the request ID in both directions.
const HeaderRequestID = "X-Request-ID"

// requestIDKey is HeaderRequestID in canonical form ("X-Request-Id").
var requestIDKey = http.CanonicalHeaderKey(HeaderRequestID)

// maxRequestIDLen bounds an accepted client request ID: it is logged with
// every line of the request, so a client must not be able to make it large.
const maxRequestIDLen = 128

// RequestID accepts the client's X-Request-ID when it is 1-128 visible ASCII
// characters (so it is safe to log and echo), and otherwise generates a UUID.
// It echoes the ID in the response header and stores it in the request
// context (logging.WithRequestID) for loggers and problem details.
func RequestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		// Direct map access under the canonical name (the server
		// canonicalized the request's header names): no canonicalization
		// per request.
		var id string
		if v := c.Request.Header[requestIDKey]; len(v) > 0 {
			id = v[0]
		}
		if !validRequestID(id) {
			id = uuid.NewString()
		}
		c.Writer.Header()[requestIDKey] = []string{id}
		c.Request = c.Request.WithContext(logging.WithRequestID(c.Request.Context(), id))
	}
}

func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for i := range len(id) {
		if id[i] < '!' || id[i] > '~' { // visible ASCII, no spaces
			return false
		}
	}
	return true
}
