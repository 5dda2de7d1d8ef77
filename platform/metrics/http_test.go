package metrics_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatforge/chat/platform/metrics"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	m.Run()
}

func TestMiddlewareCountsByRoute(t *testing.T) {
	t.Parallel()
	reg := metrics.NewRegistry()
	h := metrics.NewHTTP(reg)

	r := gin.New()
	r.Use(h.Middleware())
	r.GET("/items/:id", func(c *gin.Context) { c.Status(http.StatusOK) })
	r.POST("/items", func(c *gin.Context) { c.Status(http.StatusCreated) })

	for _, req := range []struct{ method, path string }{
		{"GET", "/items/1"},
		{"GET", "/items/2"},
		{"POST", "/items"},
		{"GET", "/nowhere/1"},
		{"GET", "/nowhere/2"},
		{"BREW", "/items"},
	} {
		r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(req.method, req.path, nil))
	}

	got := counters(t, reg, "http_requests_total")
	want := map[string]float64{
		"GET /items/:id 200":  2,
		"POST /items 201":     1,
		"GET unmatched 404":   2,
		"OTHER unmatched 404": 1,
	}
	if len(got) != len(want) {
		t.Errorf("series = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("http_requests_total{%s} = %v, want %v", k, got[k], v)
		}
	}

	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "http_request_duration_seconds" && len(mf.GetMetric()) != 4 {
			t.Errorf("duration series = %d, want 4 (one per route and method)", len(mf.GetMetric()))
		}
	}
}

func TestHandlerExposesRegistry(t *testing.T) {
	t.Parallel()
	reg := metrics.NewRegistry()
	metrics.NewHTTP(reg)

	rec := httptest.NewRecorder()
	metrics.Handler(reg).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))

	body, _ := io.ReadAll(rec.Body)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", rec.Code)
	}
	for _, name := range []string{"go_goroutines", "process_start_time_seconds"} {
		if !strings.Contains(string(body), name) {
			t.Errorf("metrics output lacks %s", name)
		}
	}
}

// counters returns the counter values of family name keyed by
// "method route status".
func counters(t *testing.T, g prometheus.Gatherer, name string) map[string]float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, lp := range m.GetLabel() {
				labels[lp.GetName()] = lp.GetValue()
			}
			out[labels["method"]+" "+labels["route"]+" "+labels["status"]] = m.GetCounter().GetValue()
		}
	}
	return out
}
