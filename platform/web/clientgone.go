package web

import (
	"context"
	"errors"

	"github.com/gin-gonic/gin"
)

// StatusClientClosedRequest is the status recorded (access log, metrics)
// for a request whose client went away before the answer: nginx's 499. It
// is never an answer anyone reads.
const StatusClientClosedRequest = 499

// ClientGone reports whether the client of c closed its connection (or
// cancelled its HTTP/2 stream) before the answer: the request's context is
// cancelled. Errors caused by that (a query or Redis call cut short with
// "context canceled") are not server failures and deserve no 500 and no
// error log.
func ClientGone(c *gin.Context) bool {
	return errors.Is(c.Request.Context().Err(), context.Canceled)
}
