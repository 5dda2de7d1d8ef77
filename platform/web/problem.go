package web

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/chatforge/chat/platform/logging"
)

// ProblemContentType is the media type of problem details (RFC 9457).
const ProblemContentType = "application/problem+json"

// Problem is an RFC 9457 problem details body. Type is "about:blank" (the
// status code says it all), so Title is the status text.
type Problem struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail"`
	Instance  string       `json:"instance"`
	RequestID string       `json:"requestId"`
	Errors    []FieldError `json:"errors,omitempty"`
	// Code is an extension member for refusals a client must tell apart
	// (e.g. "blocked", "muted", "banned", "quota_exceeded"); absent otherwise.
	Code string `json:"code,omitempty"`
}

// FieldError names one invalid input field (a JSON path such as
// "displayName" or "members[2].id") and says what is wrong with it.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// WriteProblem answers with a problem+json body for status and aborts the
// handler chain. detail is shown to the client: say what is wrong with the
// request, never internal details. Instance is the request path and requestId
// the ID set by RequestID. If a response has already been written, it only
// aborts.
//
// A server error (5xx) for a client that already went away (ClientGone:
// what failed was most likely cut short by the cancelled request context)
// is recorded as StatusClientClosedRequest instead, with no body: it is not
// a server failure, and nobody reads the answer.
//
// A 503 carries Retry-After (RetryAfterSeconds) unless the handler set one.
func WriteProblem(c *gin.Context, status int, detail string, errs ...FieldError) {
	WriteProblemCode(c, status, "", detail, errs...)
}

// WriteProblemCode is WriteProblem with the code extension member ("" for
// none).
func WriteProblemCode(c *gin.Context, status int, code, detail string, errs ...FieldError) {
	c.Abort()
	if c.Writer.Written() {
		return
	}
	if status >= 500 && ClientGone(c) {
		c.Status(StatusClientClosedRequest)
		return
	}
	title := http.StatusText(status)
	if detail == "" {
		detail = title
	}
	body, err := json.Marshal(Problem{
		Type:      "about:blank",
		Title:     title,
		Status:    status,
		Detail:    detail,
		Instance:  c.Request.URL.Path,
		RequestID: logging.RequestID(c.Request.Context()),
		Errors:    errs,
		Code:      code,
	})
	if err != nil { // strings and ints only: cannot happen
		c.Status(http.StatusInternalServerError)
		return
	}
	if status == http.StatusServiceUnavailable && c.Writer.Header().Get("Retry-After") == "" {
		c.Header("Retry-After", strconv.Itoa(RetryAfterSeconds))
	}
	// Set explicitly: c.Data keeps a Content-Type set earlier by a handler.
	c.Header("Content-Type", ProblemContentType)
	c.Data(status, ProblemContentType, body)
}

// NoRoute answers 404 problem+json for a path no route matches.
func NoRoute(c *gin.Context) {
	WriteProblem(c, http.StatusNotFound, "no resource at this path")
}

// NoMethod answers 405 problem+json for a path whose routes do not accept the
// method; gin has already set the Allow header.
func NoMethod(c *gin.Context) {
	WriteProblem(c, http.StatusMethodNotAllowed, "method "+c.Request.Method+" is not allowed on this path")
}
