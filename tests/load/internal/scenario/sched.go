package scenario

import (
	"fmt"
	"math"
	"runtime/metrics"
	"time"

	"github.com/chatforge/chat/tests/load/internal/hist"
)

// schedMetric is the Go runtime's histogram of how long goroutines waited
// in a run queue before running.
const schedMetric = "/sched/latencies:seconds"

// readSched returns the runtime's scheduling latencies so far (nil if
// this runtime does not have them).
func readSched() *metrics.Float64Histogram {
	s := []metrics.Sample{{Name: schedMetric}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64Histogram {
		return nil
	}
	return s[0].Value.Float64Histogram()
}

// recordSchedSince records into h the scheduling latencies since before
// (a readSched), each bucket at its upper bound (the runtime's buckets
// are powers of two wide at most: an overestimate, never a flattering one).
func recordSchedSince(h *hist.Hist, before *metrics.Float64Histogram) {
	after := readSched()
	if h == nil || before == nil || after == nil || len(after.Counts) != len(before.Counts) {
		return
	}
	for i, n := range after.Counts {
		if d := n - before.Counts[i]; d > 0 {
			upper := after.Buckets[i+1]
			if math.IsInf(upper, 1) {
				upper = after.Buckets[i]
			}
			h.RecordN(time.Duration(upper*float64(time.Second)), int64(d))
		}
	}
}

// schedNote is the step log's note of the tool's own delays: its
// goroutines' scheduling latency and its read lag.
func schedNote(s StepSummary) string {
	note := ""
	if s.LoadSched != nil {
		note += fmt.Sprintf(", load tool sched latency p50/p99 %.2f/%.2fms", s.LoadSched.P50, s.LoadSched.P99)
	}
	if s.LoadReadLag != nil {
		note += fmt.Sprintf(", read lag p50/p99 %.2f/%.2fms", s.LoadReadLag.P50, s.LoadReadLag.P99)
	}
	return note
}
