package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/chatforge/chat/platform/web"
)

// TestRouteBodyLimits: a route with its own limit takes bodies above the
// general one; the others keep the general limit.
func TestRouteBodyLimits(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t, web.Options{BodyLimit: 10, RouteBodyLimits: map[string]int64{"/upload/:id": 100}})
	read := func(c *gin.Context) {
		if _, err := io.ReadAll(c.Request.Body); err != nil {
			c.Status(http.StatusRequestEntityTooLarge)
			return
		}
		c.Status(http.StatusOK)
	}
	e.POST("/upload/:id", read)
	e.POST("/other", read)
	for _, tc := range []struct {
		path string
		size int
		want int
	}{{"/upload/1", 50, 200}, {"/upload/1", 101, 413}, {"/other", 50, 413}, {"/other", 10, 200}} {
		w := httptest.NewRecorder()
		e.ServeHTTP(w, httptest.NewRequest(http.MethodPost, tc.path, strings.NewReader(strings.Repeat("x", tc.size))))
		if w.Code != tc.want {
			t.Errorf("POST %s with %d bytes: %d, want %d", tc.path, tc.size, w.Code, tc.want)
		}
	}
}
