package web_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/chatforge/chat/platform/web"
)

func TestCORS(t *testing.T) {
	t.Parallel()
	const allowed = "https://app.example.com"
	tests := []struct {
		name       string
		origins    []string
		method     string
		origin     string
		preflight  bool
		wantStatus int
		wantACAO   string
		wantVary   bool
		wantExpose bool
	}{
		{name: "no origin header", origins: []string{allowed}, method: "GET", wantStatus: 200, wantVary: true},
		{name: "allowed simple request", origins: []string{allowed}, method: "GET", origin: allowed,
			wantStatus: 200, wantACAO: allowed, wantVary: true, wantExpose: true},
		{name: "denied simple request is served without CORS headers", origins: []string{allowed}, method: "GET",
			origin: "https://evil.example", wantStatus: 200, wantVary: true},
		{name: "prefix is not a match", origins: []string{allowed}, method: "GET",
			origin: "https://app.example.com.evil.example", wantStatus: 200, wantVary: true},
		{name: "no origins configured", method: "GET", origin: allowed, wantStatus: 200, wantVary: true},
		{name: "allowed preflight", origins: []string{allowed}, method: "OPTIONS", origin: allowed, preflight: true,
			wantStatus: 204, wantACAO: allowed, wantVary: true},
		{name: "preflight of an unknown path", origins: []string{allowed}, method: "OPTIONS", origin: allowed, preflight: true,
			wantStatus: 204, wantACAO: allowed, wantVary: true},
		{name: "denied preflight", origins: []string{allowed}, method: "OPTIONS", origin: "https://evil.example",
			preflight: true, wantStatus: 403, wantVary: true},
		{name: "wildcard configured", origins: []string{"*"}, method: "GET", origin: "https://any.example",
			wantStatus: 200, wantACAO: "*", wantExpose: true},
		{name: "wildcard preflight", origins: []string{"*"}, method: "OPTIONS", origin: "https://any.example",
			preflight: true, wantStatus: 204, wantACAO: "*"},
		{name: "configured with trailing slash", origins: []string{allowed + "/"}, method: "GET", origin: allowed,
			wantStatus: 200, wantACAO: allowed, wantVary: true, wantExpose: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, _ := newEngine(t, web.Options{CORSOrigins: tt.origins})
			e.GET("/api/x", func(c *gin.Context) { c.Status(http.StatusOK) })
			e.POST("/api/x", func(c *gin.Context) { c.Status(http.StatusOK) })

			path := "/api/x"
			if tt.name == "preflight of an unknown path" {
				path = "/api/unknown"
			}
			req := httptest.NewRequest(tt.method, path, nil)
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			if tt.preflight {
				req.Header.Set("Access-Control-Request-Method", "POST")
				req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
			}
			rec := serve(e, req)
			h := rec.Header()

			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if got := h.Get("Access-Control-Allow-Origin"); got != tt.wantACAO {
				t.Errorf("Allow-Origin = %q, want %q", got, tt.wantACAO)
			}
			if got := slices.Contains(h.Values("Vary"), "Origin"); got != tt.wantVary {
				t.Errorf("Vary: Origin present = %v, want %v (%q)", got, tt.wantVary, h.Values("Vary"))
			}
			if got := h.Get("Access-Control-Expose-Headers") == "X-Request-ID, Retry-After"; got != tt.wantExpose {
				t.Errorf("Expose-Headers = %q, want exposed=%v", h.Get("Access-Control-Expose-Headers"), tt.wantExpose)
			}
			if h.Get("Access-Control-Allow-Credentials") != "" {
				t.Error("credentials must never be allowed")
			}
			switch {
			case tt.wantStatus == 204:
				if h.Get("Access-Control-Allow-Headers") != "Authorization, Content-Type, X-Request-ID" ||
					h.Get("Access-Control-Allow-Methods") == "" || h.Get("Access-Control-Max-Age") == "" {
					t.Errorf("preflight headers incomplete: %v", h)
				}
			case tt.wantStatus == 403:
				decodeProblem(t, rec, http.StatusForbidden)
			}
		})
	}
}
