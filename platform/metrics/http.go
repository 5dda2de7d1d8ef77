package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
)

// UnmatchedRoute is the route label of requests that matched no route (404,
// 405), so that random paths cannot blow up the label cardinality.
const UnmatchedRoute = "unmatched"

// HTTP holds the HTTP server metrics. It is safe for concurrent use.
type HTTP struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewHTTP creates the HTTP metrics and registers them on reg:
// http_requests_total{route,method,status} and
// http_request_duration_seconds{route,method}. It panics if they are already
// registered on reg, which is a wiring bug.
func NewHTTP(reg prometheus.Registerer) *HTTP {
	h := &HTTP{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total",
			Help: "HTTP requests handled, by route template, method and status code.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "http_request_duration_seconds",
			Help:    "Time spent handling HTTP requests, by route template and method.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method"}),
	}
	reg.MustRegister(h.requests, h.duration)
	return h
}

// Middleware records every request once the rest of the chain has run. The
// route label is the route template (c.FullPath(), e.g. "/api/rooms/:id"),
// never the raw path, to keep cardinality bounded.
func (h *HTTP) Middleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()

		route := c.FullPath()
		if route == "" {
			route = UnmatchedRoute
		}
		method := methodLabel(c.Request.Method)
		h.requests.WithLabelValues(route, method, strconv.Itoa(c.Writer.Status())).Inc()
		h.duration.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
	}
}

// methodLabel folds non-standard methods into "OTHER": the method comes from
// the client, and every distinct label value is a new time series.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	default:
		return "OTHER"
	}
}
