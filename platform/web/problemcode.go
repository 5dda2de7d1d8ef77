package web

import (
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/chatforge/chat/platform/logging"
)

// codedProblem is a Problem with the "code" extension member that clients
// tell refusals apart by (ARCHITECTURE.md §9: blocked, muted, bot_forbidden).
type codedProblem struct {
	Problem
	Code string `json:"code"`
}

// WriteProblemCode is WriteProblem for a 4xx that carries a machine-readable
// code next to the status.
func WriteProblemCode(c *gin.Context, status int, code, detail string) {
	c.Abort()
	if c.Writer.Written() {
		return
	}
	if detail == "" {
		detail = http.StatusText(status)
	}
	body, err := json.Marshal(codedProblem{Problem: Problem{
		Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail,
		Instance: c.Request.URL.Path, RequestID: logging.RequestID(c.Request.Context()),
	}, Code: code})
	if err != nil {
		c.Status(http.StatusInternalServerError)
		return
	}
	c.Header("Content-Type", ProblemContentType)
	c.Data(status, ProblemContentType, body)
}
