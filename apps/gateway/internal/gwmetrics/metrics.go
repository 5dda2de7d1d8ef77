// Package gwmetrics defines the gateway's Prometheus metrics. Counters on
// the hot path are resolved once (no label lookups per frame).
package gwmetrics

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatforge/chat/apps/gateway/internal/protocol"
)

// Metrics are the gateway's instruments. Safe for concurrent use.
type Metrics struct {
	Connections  prometheus.Gauge
	framesIn     map[string]prometheus.Counter
	framesInBad  prometheus.Counter
	framesOut    prometheus.Counter
	Fanout       prometheus.Histogram
	StreamLag    prometheus.Gauge
	EventAge     prometheus.Histogram
	slowDropped  prometheus.Counter
	outOfSync    prometheus.Counter
	closes       *prometheus.CounterVec
	errorFrames  *prometheus.CounterVec
	Commands     *prometheus.HistogramVec
	EventsFailed prometheus.Counter
	// RateAbuse counts connections closed for sending far over the rate.
	RateAbuse prometheus.Counter
	refused   *prometheus.CounterVec
	shed      *prometheus.CounterVec
}

// New registers the metrics on reg.
func New(reg prometheus.Registerer) *Metrics {
	in := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gateway_frames_in_total", Help: "Client frames received, by event (invalid: not decodable).",
	}, []string{"event"})
	m := &Metrics{
		Connections: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gateway_connections", Help: "Open WebSocket connections.",
		}),
		framesIn:    make(map[string]prometheus.Counter),
		framesInBad: in.WithLabelValues("invalid"),
		framesOut: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gateway_frames_out_total", Help: "Frames queued to clients.",
		}),
		Fanout: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "gateway_fanout_seconds",
			Help:    "Time to queue one room event to every local connection in the room.",
			Buckets: []float64{1e-6, 5e-6, 25e-6, 1e-4, 5e-4, 1e-3, 5e-3, 0.025, 0.1, 0.5},
		}),
		StreamLag: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gateway_stream_lag_seconds", Help: "Age of the last event read from the event streams when it was read.",
		}),
		EventAge: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "gateway_event_age_seconds",
			Help:    "From the api recording a message (its transaction) to this gateway reading its event, per message event.",
			Buckets: prometheus.ExponentialBucketsRange(0.0001, 10, 16),
		}),
		slowDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gateway_slow_clients_dropped_total", Help: "Connections dropped because their send buffer was full.",
		}),
		outOfSync: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gateway_out_of_sync_total", Help: "Connections closed (1001) because a room event was missing on the live path.",
		}),
		closes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_closes_total", Help: "Connections closed by the gateway, by close code.",
		}, []string{"code"}),
		errorFrames: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_error_frames_total", Help: "Error frames sent, by code.",
		}, []string{"code"}),
		Commands: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "gateway_command_seconds", Help: "Round trip of commands to the api, by type and outcome.",
			Buckets: prometheus.DefBuckets,
		}, []string{"type", "outcome"}),
		EventsFailed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gateway_events_malformed_total", Help: "Stream or pub/sub entries that could not be decoded.",
		}),
		RateAbuse: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gateway_rate_abuse_closes_total", Help: "Connections closed (4008) for sending over twice the frame rate for the abuse window.",
		}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_connections_refused_total",
			Help: "Connection attempts refused before the upgrade, by reason (too_many_sockets, unavailable).",
		}, []string{"reason"}),
		shed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_frames_shed_total",
			Help: "Client frames refused with unavailable because the server was behind, by reason (queue_full: the socket's queue was full; queue_wait: the frame waited past WS_QUEUE_MAX_WAIT).",
		}, []string{"reason"}),
	}
	for _, e := range []string{protocol.EventJoinRoom, protocol.EventLeaveRoom, protocol.EventSendMessage,
		protocol.EventTypingStart, protocol.EventTypingStop, protocol.EventMarkRead,
		protocol.EventEditMessage, protocol.EventDeleteMessage, protocol.EventReact} {
		m.framesIn[e] = in.WithLabelValues(e)
	}
	reg.MustRegister(in, m.Connections, m.framesOut, m.Fanout, m.StreamLag, m.EventAge, m.slowDropped, m.outOfSync, m.closes,
		m.errorFrames, m.Commands, m.EventsFailed, m.RateAbuse, m.refused, m.shed)
	return m
}

// FrameIn counts a client frame by its event (unknown events as invalid,
// so clients cannot create label values).
func (m *Metrics) FrameIn(event string) {
	if c, ok := m.framesIn[event]; ok {
		c.Inc()
		return
	}
	m.framesInBad.Inc()
}

// FramesOut counts frames queued to clients (hub.Observer).
func (m *Metrics) FramesOut(n int) { m.framesOut.Add(float64(n)) }

// SlowClientDropped counts a dropped slow connection (hub.Observer).
func (m *Metrics) SlowClientDropped() { m.slowDropped.Inc() }

// OutOfSync counts a connection closed after a gap in a room (hub.Observer).
func (m *Metrics) OutOfSync() { m.outOfSync.Inc() }

// Closed counts a close by the gateway.
func (m *Metrics) Closed(code int) { m.closes.WithLabelValues(strconv.Itoa(code)).Inc() }

// ErrorFrame counts an error frame.
func (m *Metrics) ErrorFrame(code protocol.Code) { m.errorFrames.WithLabelValues(string(code)).Inc() }

// Refused counts a connection refused before the upgrade; reason is one of
// a fixed set chosen by the gateway (never client input).
func (m *Metrics) Refused(reason string) { m.refused.WithLabelValues(reason).Inc() }

// FrameShed counts a frame refused because the server was behind
// (reason: queue_full or queue_wait).
func (m *Metrics) FrameShed(reason string) { m.shed.WithLabelValues(reason).Inc() }
