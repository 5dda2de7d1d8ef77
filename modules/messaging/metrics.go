package messaging

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// hopMetrics are the api's hops of the message path, as latency
// histograms (see README "Where the time goes"): a command's wait from its
// gateway's append to this api's read, a batch of sends stored (its
// transaction committed), and an event's way from its transaction to its
// stream. The gateways measure the rest (the event's arrival, the fan-out
// and the command round trip).
type hopMetrics struct {
	wait    *prometheus.HistogramVec
	store   prometheus.Histogram
	publish prometheus.Histogram
}

// hopBuckets span 100 µs to 10 s: the floor of a hop on one machine to a
// command's timeout.
var hopBuckets = prometheus.ExponentialBucketsRange(0.0001, 10, 16)

// newHopMetrics registers the histograms on reg; nil reg: not recorded.
func newHopMetrics(reg prometheus.Registerer) *hopMetrics {
	if reg == nil {
		return nil
	}
	m := &hopMetrics{
		wait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "chat_command_wait_seconds",
			Help:    "From a gateway appending a command to an api reading it (the gateway's send timestamp), by command type.",
			Buckets: hopBuckets,
		}, []string{"type"}),
		store: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "chat_send_batch_seconds",
			Help:    "One batch of socket send-messages stored: from its start to its transaction committed.",
			Buckets: hopBuckets,
		}),
		publish: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "chat_event_publish_seconds",
			Help:    "From a change recorded in its transaction to its event appended to the event stream (outbox relay), per event.",
			Buckets: hopBuckets,
		}),
	}
	reg.MustRegister(m.wait, m.store, m.publish)
	return m
}

func (m *hopMetrics) observeWait(typ string, d time.Duration) {
	if m != nil {
		m.wait.WithLabelValues(typ).Observe(d.Seconds())
	}
}

func (m *hopMetrics) observeStore(d time.Duration) {
	if m != nil {
		m.store.Observe(d.Seconds())
	}
}

func (m *hopMetrics) observePublish(d time.Duration) {
	if m != nil {
		m.publish.Observe(d.Seconds())
	}
}
