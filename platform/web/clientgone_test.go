package web_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/chatforge/chat/platform/web"
)

// findAccess returns the access log record of path.
func findAccess(t *testing.T, logs *syncBuffer, path string) map[string]any {
	t.Helper()
	for _, r := range logs.records(t) {
		if r["msg"] == "http request" && r["path"] == path {
			return r
		}
	}
	t.Fatalf("no access log record for %s: %v", path, logs.records(t))
	return nil
}

// TestClientGone: a request whose client went away is logged at info with
// status 499, and gets no 500 problem, whether the handler answered
// through WriteProblem or wrote a 500 itself; a live client's 500 stays an
// error.
func TestClientGone(t *testing.T) {
	e, logs := newEngine(t, web.Options{})
	e.GET("/problem", func(c *gin.Context) {
		<-c.Request.Context().Done()
		_ = c.Error(c.Request.Context().Err())
		web.WriteProblem(c, http.StatusInternalServerError, "")
	})
	e.GET("/raw", func(c *gin.Context) {
		<-c.Request.Context().Done()
		c.Status(http.StatusInternalServerError)
	})
	e.GET("/live", func(c *gin.Context) {
		_ = c.Error(errors.New("disk on fire"))
		web.WriteProblem(c, http.StatusInternalServerError, "")
	})

	for _, path := range []string{"/problem", "/raw"} {
		t.Run("cancelled "+path, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			req := httptest.NewRequestWithContext(ctx, http.MethodGet, path, nil)
			cancel()
			rec := serve(e, req)
			if path == "/problem" && (rec.Code != web.StatusClientClosedRequest || rec.Body.Len() != 0) {
				t.Errorf("answer = %d %q, want 499 without body", rec.Code, rec.Body.String())
			}
			r := findAccess(t, logs, path)
			if r["level"] != "INFO" || r["status"] != float64(499) || r["client_closed"] != true {
				t.Errorf("access log = %v, want INFO, status 499, client_closed", r)
			}
			for _, rec := range logs.records(t) {
				if rec["level"] == "ERROR" {
					t.Errorf("error logged for a gone client: %v", rec)
				}
			}
		})
	}

	t.Run("live client 500", func(t *testing.T) {
		decodeProblem(t, serve(e, httptest.NewRequest(http.MethodGet, "/live", nil)), http.StatusInternalServerError)
		if r := findAccess(t, logs, "/live"); r["level"] != "ERROR" || r["status"] != float64(500) || r["client_closed"] != nil {
			t.Errorf("access log = %v, want ERROR 500", r)
		}
	})

	// Over a real connection: the client times out and hangs up.
	t.Run("real hang-up", func(t *testing.T) {
		srv := httptest.NewServer(e)
		defer srv.Close()
		cl := &http.Client{Timeout: 200 * time.Millisecond}
		if res, err := cl.Get(srv.URL + "/problem?x=1"); err == nil {
			res.Body.Close()
			t.Fatal("the handler answered before the client gave up")
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			n := 0
			for _, r := range logs.records(t) {
				if r["msg"] == "http request" && r["path"] == "/problem" {
					n++
					if r["status"] != float64(499) || r["level"] != "INFO" {
						t.Fatalf("access log = %v, want INFO 499", r)
					}
				}
			}
			if n == 2 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("no access log record after the hang-up")
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}
