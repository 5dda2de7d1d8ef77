package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chatforge/chat/platform/config"
	"github.com/chatforge/chat/platform/metrics"
)

func testHandler(t *testing.T) http.Handler {
	t.Helper()
	cfg, err := config.Parse[Config]([]string{"WEB_API_URL=https://api.example.com", "WEB_GATEWAY_URL=https://ws.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	h, err := newHandler(cfg, slog.New(slog.DiscardHandler), metrics.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func get(h http.Handler, path string, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestHandlerServesTheApp(t *testing.T) {
	h := testHandler(t)
	for _, tc := range []struct{ path, ctype, contains string }{
		{"/", "text/html; charset=utf-8", `src="/app.js"`},
		{"/verify-email?token=abc", "text/html; charset=utf-8", `src="/app.js"`}, // e-mail links open the app
		{"/reset-password?token=abc", "text/html; charset=utf-8", `src="/app.js"`},
		{"/app.js", "text/javascript; charset=utf-8", "/sdk/index.js"},
		{"/style.css", "text/css; charset=utf-8", ":root"},
		{"/sdk/index.js", "text/javascript; charset=utf-8", "export class ChatClient"},
		{"/sdk/index.d.ts", "text/plain; charset=utf-8", "declare class ChatClient"},
		{"/config.json", "application/json", `"gatewayUrl":"https://ws.example.com"`},
	} {
		rec := get(h, tc.path)
		body, _ := io.ReadAll(rec.Body)
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != tc.ctype || !strings.Contains(string(body), tc.contains) {
			t.Errorf("GET %s: %d %q, body contains %q: %v", tc.path, rec.Code, rec.Header().Get("Content-Type"), tc.contains, strings.Contains(string(body), tc.contains))
		}
	}
	csp := get(h, "/").Header().Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "https://api.example.com", "wss://ws.example.com", "default-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
}

func TestHandlerRevalidatesAndRefusesUnknownFiles(t *testing.T) {
	h := testHandler(t)
	etag := get(h, "/app.js").Header().Get("ETag")
	if rec := get(h, "/app.js", "If-None-Match", etag); etag == "" || rec.Code != http.StatusNotModified {
		t.Errorf("If-None-Match %q: %d, want 304", etag, rec.Code)
	}
	for _, p := range []string{"/nope.js", "/sdk/test/sdk.test.js", "/static/index.html"} {
		if rec := get(h, p); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, rec.Code)
		}
	}
	if rec := get(h, "/readyz"); rec.Code != http.StatusOK {
		t.Errorf("readyz: %d", rec.Code)
	}
	if rec := get(h, "/metrics"); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "http_requests_total") {
		t.Errorf("metrics: %d", rec.Code)
	}
}

func TestConfigRefusesBadURLs(t *testing.T) {
	_, err := config.Parse[Config]([]string{"WEB_ADDR=8083", "WEB_API_URL=localhost:8080", "WEB_GATEWAY_URL=http://gw.example.com/ws",
		"APP_ENV=production"})
	if err == nil {
		t.Fatal("bad configuration accepted")
	}
	for _, want := range []string{"WEB_ADDR", "WEB_API_URL", "WEB_GATEWAY_URL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if _, err := config.Parse[Config]([]string{"APP_ENV=production", "WEB_API_URL=http://api", "WEB_GATEWAY_URL=https://gw"}); err == nil ||
		!strings.Contains(err.Error(), "https") {
		t.Errorf("production with http: %v", err)
	}
}
