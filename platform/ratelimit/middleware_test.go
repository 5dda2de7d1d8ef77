package ratelimit_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/chatforge/chat/platform/ratelimit"
)

func TestMiddleware(t *testing.T) {
	t.Parallel()
	gin.SetMode(gin.TestMode)
	l := ratelimit.New(newRedis(t), nil)
	lim := ratelimit.Limit{Rate: 10, Period: time.Minute, Burst: 3}

	e := gin.New()
	e.Use(ratelimit.Middleware(l, lim, func(c *gin.Context) string {
		if c.GetHeader("X-User") == "" {
			return "" // anonymous: not limited by this middleware
		}
		return "user:" + c.GetHeader("X-User")
	}))
	e.GET("/", func(c *gin.Context) { c.Status(http.StatusNoContent) })

	do := func(user string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		if user != "" {
			req.Header.Set("X-User", user)
		}
		w := httptest.NewRecorder()
		e.ServeHTTP(w, req)
		return w
	}

	for i := range lim.Burst {
		if w := do("alice"); w.Code != http.StatusNoContent {
			t.Fatalf("request %d: status %d", i, w.Code)
		}
	}
	w := do("alice")
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("after burst: status %d, want 429", w.Code)
	}
	// 10/min: the next request is allowed within 6s; whole seconds, >= 1.
	ra, err := strconv.Atoi(w.Header().Get("Retry-After"))
	if err != nil || ra < 1 || ra > 6 {
		t.Errorf("Retry-After = %q, want 1..6", w.Header().Get("Retry-After"))
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Errorf("Content-Type = %q", ct)
	}
	var p struct {
		Status int `json:"status"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Status != http.StatusTooManyRequests {
		t.Errorf("problem body %s: %v", w.Body, err)
	}

	if w := do("bob"); w.Code != http.StatusNoContent {
		t.Errorf("another user: status %d", w.Code)
	}
	for range lim.Burst + 1 {
		if w := do(""); w.Code != http.StatusNoContent {
			t.Fatalf("empty key was limited: status %d", w.Code)
		}
	}
}
