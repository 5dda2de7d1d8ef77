package tasks

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatforge/chat/modules/notify/internal/domain"
)

// Metrics are the handlers' own Prometheus series (asynq's queue series
// come from the worker app).
type Metrics struct {
	emails       *prometheus.CounterVec
	emailSeconds *prometheus.HistogramVec
	pushes       *prometheus.CounterVec
	breaker      *prometheus.GaugeVec
}

// NewMetrics registers the series on reg; reg nil keeps them unregistered
// (tests).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		emails: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "notify_emails_total",
			Help: "E-mail tasks handled, by kind and result (sent, deferred, transient_failure, permanent_failure, invalid).",
		}, []string{"kind", "result"}),
		emailSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "notify_email_duration_seconds",
			Help:    "Time to handle one e-mail task, SMTP exchange included.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"kind"}),
		pushes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "notify_pushes_total",
			Help: "Web Push deliveries, by result (sent, gone, rate_limited, failed, nothing_pending).",
		}, []string{"result"}),
		breaker: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "notify_smtp_breaker_state",
			Help: "1 for the SMTP circuit breaker's current state (closed, half-open, open).",
		}, []string{"state"}),
	}
	if reg != nil {
		reg.MustRegister(m.emails, m.emailSeconds, m.pushes, m.breaker)
	}
	m.BreakerState("closed")
	return m
}

func (m *Metrics) email(kind domain.Kind, result string, start time.Time) {
	m.emails.WithLabelValues(string(kind), result).Inc()
	m.emailSeconds.WithLabelValues(string(kind)).Observe(time.Since(start).Seconds())
}

// Push counts one push delivery outcome.
func (m *Metrics) Push(result string, n int) { m.pushes.WithLabelValues(result).Add(float64(n)) }

// BreakerState records the SMTP breaker's state.
func (m *Metrics) BreakerState(state string) {
	for _, s := range []string{"closed", "half-open", "open"} {
		v := 0.0
		if s == state {
			v = 1
		}
		m.breaker.WithLabelValues(s).Set(v)
	}
}
