package health_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/chatforge/chat/platform/health"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	m.Run()
}

type body struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

func ok(context.Context) error { return nil }

func TestEndpoints(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		path       string
		checks     []health.Check
		wantCode   int
		wantStatus string
		wantChecks map[string]string
	}{
		{
			name: "healthz ignores checks", path: "/healthz",
			checks:   []health.Check{{Name: "db", Probe: func(context.Context) error { return errors.New("down") }}},
			wantCode: http.StatusOK, wantStatus: "ok",
		},
		{
			name: "readyz all ok", path: "/readyz",
			checks:   []health.Check{{Name: "db", Probe: ok}, {Name: "redis", Probe: ok}},
			wantCode: http.StatusOK, wantStatus: "ok",
			wantChecks: map[string]string{"db": "ok", "redis": "ok"},
		},
		{
			name: "readyz no checks", path: "/readyz",
			wantCode: http.StatusOK, wantStatus: "ok", wantChecks: map[string]string{},
		},
		{
			name: "readyz one failing", path: "/readyz",
			checks: []health.Check{
				{Name: "db", Probe: ok},
				{Name: "redis", Probe: func(context.Context) error { return errors.New("connection refused") }},
			},
			wantCode: http.StatusServiceUnavailable, wantStatus: "unavailable",
			wantChecks: map[string]string{"db": "ok", "redis": "down"},
		},
		{
			name: "readyz panicking probe", path: "/readyz",
			checks:   []health.Check{{Name: "db", Probe: func(context.Context) error { panic("boom") }}},
			wantCode: http.StatusServiceUnavailable, wantStatus: "unavailable",
			wantChecks: map[string]string{"db": "down"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := gin.New()
			health.Register(r, nil, tt.checks...)
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))

			if rec.Code != tt.wantCode {
				t.Errorf("status code = %d, want %d", rec.Code, tt.wantCode)
			}
			var b body
			if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
				t.Fatalf("body %q: %v", rec.Body.String(), err)
			}
			if b.Status != tt.wantStatus {
				t.Errorf("status = %q, want %q", b.Status, tt.wantStatus)
			}
			if tt.wantChecks != nil && len(b.Checks) != len(tt.wantChecks) {
				t.Errorf("checks = %v, want %v", b.Checks, tt.wantChecks)
			}
			for k, v := range tt.wantChecks {
				if b.Checks[k] != v {
					t.Errorf("checks[%s] = %q, want %q", k, b.Checks[k], v)
				}
			}
		})
	}
}

func TestReadyzProbeSeesDeadline(t *testing.T) {
	t.Parallel()
	r := gin.New()
	health.Register(r, nil, health.Check{Name: "slow", Probe: func(ctx context.Context) error {
		if _, ok := ctx.Deadline(); !ok {
			return errors.New("no deadline")
		}
		return nil
	}})
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("status = %d, body %s", rec.Code, rec.Body.String())
	}
}

func TestReadyzHungProbeTimesOut(t *testing.T) {
	t.Parallel()
	stuck := make(chan struct{})
	t.Cleanup(func() { close(stuck) })
	r := gin.New()
	health.Register(r, nil,
		health.Check{Name: "db", Probe: ok},
		// Ignores its context: readyz must still answer.
		health.Check{Name: "hung", Probe: func(context.Context) error { <-stuck; return nil }},
	)

	start := time.Now()
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if elapsed := time.Since(start); elapsed > health.CheckTimeout+time.Second {
		t.Errorf("readyz took %v, want about %v", elapsed, health.CheckTimeout)
	}
	var b body
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusServiceUnavailable || b.Checks["hung"] != "down" || b.Checks["db"] != "ok" {
		t.Errorf("readyz = %d %+v, want 503 with hung down and db ok", rec.Code, b)
	}
}

// The answer names the failing check only; its error, which can name
// users, databases and hosts, goes to the log.
func TestReadyzHidesErrors(t *testing.T) {
	t.Parallel()
	const leak = "failed to connect to `user=postgres database=t_secret`: 127.0.0.1:5499 (127.0.0.1): dial error"
	var logs bytes.Buffer
	r := gin.New()
	health.Register(r, slog.New(slog.NewTextHandler(&logs, nil)),
		health.Check{Name: "postgres", Probe: func(context.Context) error { return errors.New(leak) }},
		health.Check{Name: "redis", Probe: ok},
	)
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("status = %d, want 503", rec.Code)
	}
	if want := `{"checks":{"postgres":"down","redis":"ok"},"status":"unavailable"}`; rec.Body.String() != want {
		t.Errorf("body = %s, want %s", rec.Body.String(), want)
	}
	if !strings.Contains(logs.String(), "t_secret") || !strings.Contains(logs.String(), "check=postgres") {
		t.Errorf("the failure's details are not in the log: %q", logs.String())
	}
}
