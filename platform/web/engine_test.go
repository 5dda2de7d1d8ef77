package web_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/chatforge/chat/platform/logging"
	"github.com/chatforge/chat/platform/metrics"
	"github.com/chatforge/chat/platform/web"
)

func TestRequestID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		incoming string
		keep     bool // the incoming ID is accepted
	}{
		{name: "accepted", incoming: "client-req-42", keep: true},
		{name: "max length accepted", incoming: strings.Repeat("a", 128), keep: true},
		{name: "too long replaced", incoming: strings.Repeat("a", 129)},
		{name: "space replaced", incoming: "a b"},
		{name: "control char replaced", incoming: "a\x01b"},
		{name: "non-ASCII replaced", incoming: "réq"},
		{name: "missing generated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, logs := newEngine(t, web.Options{})
			var seen string
			e.GET("/x", func(c *gin.Context) {
				seen = logging.RequestID(c.Request.Context())
				c.Status(http.StatusNoContent)
			})
			req := httptest.NewRequest(http.MethodGet, "/x", nil)
			if tt.incoming != "" {
				req.Header.Set(web.HeaderRequestID, tt.incoming)
			}
			rec := serve(e, req)

			got := rec.Header().Get(web.HeaderRequestID)
			if tt.keep && got != tt.incoming {
				t.Errorf("X-Request-ID = %q, want the incoming %q", got, tt.incoming)
			}
			if !tt.keep {
				if _, err := uuid.Parse(got); err != nil {
					t.Errorf("X-Request-ID = %q, want a generated UUID", got)
				}
			}
			if seen != got {
				t.Errorf("request ctx ID = %q, header = %q", seen, got)
			}
			recs := logs.records(t)
			if len(recs) != 1 || recs[0]["request_id"] != got {
				t.Errorf("access log = %v, want one record with request_id %q", recs, got)
			}
		})
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	want := map[string]string{
		"Content-Security-Policy":           "default-src 'none'; frame-ancestors 'none'",
		"X-Content-Type-Options":            "nosniff",
		"X-Frame-Options":                   "DENY",
		"Referrer-Policy":                   "no-referrer",
		"Strict-Transport-Security":         "max-age=15552000; includeSubDomains",
		"Cross-Origin-Opener-Policy":        "same-origin",
		"Cross-Origin-Resource-Policy":      "same-origin",
		"X-DNS-Prefetch-Control":            "off",
		"X-Permitted-Cross-Domain-Policies": "none",
	}
	e, _ := newEngine(t, web.Options{})
	e.GET("/ok", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{}) })

	for _, path := range []string{"/ok", "/missing"} { // errors get them too
		rec := serve(e, httptest.NewRequest(http.MethodGet, path, nil))
		for k, v := range want {
			if got := rec.Header().Get(k); got != v {
				t.Errorf("%s: %s = %q, want %q", path, k, got, v)
			}
		}
		if _, ok := rec.Header()["X-Powered-By"]; ok {
			t.Errorf("%s: X-Powered-By present", path)
		}
	}
}

func TestAccessLog(t *testing.T) {
	t.Parallel()
	e, logs := newEngine(t, web.Options{})
	e.GET("/items/:id", func(c *gin.Context) { c.Status(http.StatusAccepted) })
	req := httptest.NewRequest(http.MethodGet, "/items/7?access_token=secret", nil)
	req.Header.Set(web.HeaderRequestID, "rid-1")
	serve(e, req)

	recs := logs.records(t)
	if len(recs) != 1 {
		t.Fatalf("want 1 record, got %v", recs)
	}
	r := recs[0]
	for k, v := range map[string]any{
		"msg": "http request", "method": "GET", "route": "/items/:id", "path": "/items/7",
		"status": float64(202), "request_id": "rid-1", "level": "INFO",
	} {
		if r[k] != v {
			t.Errorf("%s = %v, want %v", k, r[k], v)
		}
	}
	if _, ok := r["duration"].(float64); !ok {
		t.Errorf("duration missing: %v", r)
	}
	for _, v := range r {
		if s, ok := v.(string); ok && strings.Contains(s, "secret") {
			t.Errorf("access log leaks the query string: %v", r)
		}
	}
}

func TestNoRouteAndNoMethod(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t, web.Options{})
	e.POST("/items", func(c *gin.Context) { c.Status(http.StatusCreated) })

	tests := []struct {
		name, method, path string
		status             int
		allow              string
	}{
		{name: "unknown path", method: http.MethodGet, path: "/nope", status: http.StatusNotFound},
		{name: "wrong method", method: http.MethodDelete, path: "/items", status: http.StatusMethodNotAllowed, allow: "POST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := serve(e, httptest.NewRequest(tt.method, tt.path, nil))
			p := decodeProblem(t, rec, tt.status)
			if p.Instance != tt.path {
				t.Errorf("instance = %q, want %q", p.Instance, tt.path)
			}
			if got := rec.Header().Get("Allow"); got != tt.allow {
				t.Errorf("Allow = %q, want %q", got, tt.allow)
			}
		})
	}
}

func TestRecovery(t *testing.T) {
	t.Parallel()
	e, logs := newEngine(t, web.Options{})
	e.GET("/boom", func(c *gin.Context) { panic("kaboom: db password is hunter2") })

	rec := serve(e, httptest.NewRequest(http.MethodGet, "/boom", nil))
	p := decodeProblem(t, rec, http.StatusInternalServerError)
	if strings.Contains(rec.Body.String(), "hunter2") || strings.Contains(p.Detail, "kaboom") {
		t.Errorf("panic value leaked to the client: %s", rec.Body.String())
	}

	var panicLogged, accessLogged bool
	for _, r := range logs.records(t) {
		switch r["msg"] {
		case "panic recovered":
			panicLogged = r["panic"] == "kaboom: db password is hunter2" &&
				strings.Contains(r["stack"].(string), "engine_test.go") &&
				r["request_id"] == p.RequestID
		case "http request":
			accessLogged = r["status"] == float64(500) && r["level"] == "ERROR"
		}
	}
	if !panicLogged || !accessLogged {
		t.Errorf("logs lack the panic (with stack and request_id) or the 500 access record: %v", logs.records(t))
	}
}

func TestEngineRecordsMetrics(t *testing.T) {
	t.Parallel()
	reg := metrics.NewRegistry()
	e, _ := newEngine(t, web.Options{Metrics: metrics.NewHTTP(reg)})
	e.GET("/boom", func(c *gin.Context) { panic("x") })
	serve(e, httptest.NewRequest(http.MethodGet, "/boom", nil))

	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "http_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "status" && l.GetValue() == "500" {
					return // the panic was counted as a 500
				}
			}
		}
	}
	t.Error("http_requests_total has no status=500 series for the recovered panic")
}

func TestWriteProblemKeepsOnlyFirstAnswer(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t, web.Options{})
	e.GET("/twice", func(c *gin.Context) {
		c.Header("Content-Type", "text/plain") // must not survive
		web.WriteProblem(c, http.StatusConflict, "taken", web.FieldError{Field: "email", Message: "is taken"})
		web.WriteProblem(c, http.StatusTeapot, "ignored")
	})
	rec := serve(e, httptest.NewRequest(http.MethodGet, "/twice", nil))
	p := decodeProblem(t, rec, http.StatusConflict)
	if p.Detail != "taken" || len(p.Errors) != 1 || p.Errors[0] != (web.FieldError{Field: "email", Message: "is taken"}) {
		t.Errorf("problem = %+v", p)
	}
}

func TestWriteProblemAborts(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t, web.Options{})
	reached := false
	e.GET("/guarded", func(c *gin.Context) {
		web.WriteProblem(c, http.StatusUnauthorized, "")
	}, func(c *gin.Context) { reached = true })
	rec := serve(e, httptest.NewRequest(http.MethodGet, "/guarded", nil))
	p := decodeProblem(t, rec, http.StatusUnauthorized)
	if reached {
		t.Error("handler after WriteProblem ran")
	}
	if p.Detail != "Unauthorized" {
		t.Errorf("empty detail = %q, want the title", p.Detail)
	}
}
