package web_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/chatforge/chat/platform/outage"
	"github.com/chatforge/chat/platform/web"
)

// TestWriteServerError: an outage is 503 problem+json with Retry-After and
// a warning; anything else unmapped is a plain 500 and an error.
func TestWriteServerError(t *testing.T) {
	t.Parallel()
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantLevel  string
	}{
		{"outage", fmt.Errorf("find user: %w", outage.Mark("postgres", refused)), http.StatusServiceUnavailable, "WARN"},
		{"bug", errors.New("nil map"), http.StatusInternalServerError, "ERROR"},
		// Unmarked: only the platform's drivers decide what is an outage.
		{"unmarked network error", refused, http.StatusInternalServerError, "ERROR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			log := slog.New(slog.NewJSONHandler(&logs, nil))
			r := gin.New()
			r.GET("/x", func(c *gin.Context) { web.WriteServerError(c, log, "test request", tt.err) })
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/x", nil))

			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if ct := rec.Header().Get("Content-Type"); ct != web.ProblemContentType {
				t.Errorf("Content-Type = %q", ct)
			}
			var p web.Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Status != tt.wantStatus {
				t.Errorf("body = %s (%v)", rec.Body, err)
			}
			ra := rec.Header().Get("Retry-After")
			if tt.wantStatus == http.StatusServiceUnavailable && ra != fmt.Sprint(web.RetryAfterSeconds) {
				t.Errorf("Retry-After = %q, want %d", ra, web.RetryAfterSeconds)
			}
			if tt.wantStatus != http.StatusServiceUnavailable && ra != "" {
				t.Errorf("Retry-After = %q on %d", ra, rec.Code)
			}
			if strings.Contains(rec.Body.String(), "refused") {
				t.Errorf("body leaks the cause: %s", rec.Body)
			}
			if !strings.Contains(logs.String(), `"level":"`+tt.wantLevel+`"`) || !strings.Contains(logs.String(), "test request failed") {
				t.Errorf("log = %s, want a %s record", logs.String(), tt.wantLevel)
			}
		})
	}
}

// TestWriteProblemRetryAfter: every 503 carries Retry-After, and one set by
// the handler is kept.
func TestWriteProblemRetryAfter(t *testing.T) {
	t.Parallel()
	r := gin.New()
	r.GET("/default", func(c *gin.Context) { web.WriteProblem(c, http.StatusServiceUnavailable, "down") })
	r.GET("/own", func(c *gin.Context) {
		c.Header("Retry-After", "30")
		web.WriteProblem(c, http.StatusServiceUnavailable, "down")
	})
	for path, want := range map[string]string{"/default": fmt.Sprint(web.RetryAfterSeconds), "/own": "30"} {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if got := rec.Header().Get("Retry-After"); got != want {
			t.Errorf("%s: Retry-After = %q, want %q", path, got, want)
		}
	}
}
