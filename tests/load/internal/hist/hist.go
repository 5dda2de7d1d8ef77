// Package hist records latencies in HDR histograms (microsecond resolution,
// 3 significant digits, up to 10 minutes) and summarises them. A Hist is
// safe for concurrent use and travels between load processes as JSON (the
// compressed HdrHistogram V2 encoding), so a parent can merge its children's
// histograms instead of averaging their percentiles, which would be wrong.
package hist

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

const (
	lowest  = 1                 // 1 µs
	highest = 10 * 60 * 1000000 // 10 min in µs: anything slower is a failure anyway
	digits  = 3
)

// Hist is a latency histogram. The zero value is not usable: call New.
type Hist struct {
	mu sync.Mutex
	h  *hdrhistogram.Histogram
}

// New returns an empty histogram.
func New() *Hist { return &Hist{h: hdrhistogram.New(lowest, highest, digits)} }

// Record adds one latency. Values outside the range are clamped rather than
// dropped: a dropped sample would hide exactly the outliers we look for.
func (h *Hist) Record(d time.Duration) {
	us := max(d.Microseconds(), lowest)
	us = min(us, highest)
	h.mu.Lock()
	_ = h.h.RecordValue(us) // cannot fail inside the range
	h.mu.Unlock()
}

// RecordN adds n samples of one latency.
func (h *Hist) RecordN(d time.Duration, n int64) {
	us := max(d.Microseconds(), lowest)
	us = min(us, highest)
	h.mu.Lock()
	_ = h.h.RecordValues(us, n)
	h.mu.Unlock()
}

// Merge adds every sample of o to h.
func (h *Hist) Merge(o *Hist) {
	if o == nil || o == h {
		return
	}
	o.mu.Lock()
	snap := hdrhistogram.Import(o.h.Export())
	o.mu.Unlock()
	h.mu.Lock()
	h.h.Merge(snap)
	h.mu.Unlock()
}

// Count returns the number of samples.
func (h *Hist) Count() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.h.TotalCount()
}

// Summary is what reports show of a histogram, in milliseconds.
type Summary struct {
	Count int64   `json:"count"`
	Mean  float64 `json:"meanMs"`
	P50   float64 `json:"p50Ms"`
	P90   float64 `json:"p90Ms"`
	P99   float64 `json:"p99Ms"`
	P999  float64 `json:"p999Ms"`
	Max   float64 `json:"maxMs"`
}

// Summary computes the percentiles.
func (h *Hist) Summary() Summary {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.h.TotalCount() == 0 {
		return Summary{}
	}
	ms := func(us int64) float64 { return float64(us) / 1000 }
	return Summary{
		Count: h.h.TotalCount(),
		Mean:  h.h.Mean() / 1000,
		P50:   ms(h.h.ValueAtQuantile(50)),
		P90:   ms(h.h.ValueAtQuantile(90)),
		P99:   ms(h.h.ValueAtQuantile(99)),
		P999:  ms(h.h.ValueAtQuantile(99.9)),
		Max:   ms(h.h.Max()),
	}
}

// String is a one-line summary for logs.
func (s Summary) String() string {
	return fmt.Sprintf("n=%d p50=%.2fms p90=%.2fms p99=%.2fms p99.9=%.2fms max=%.2fms",
		s.Count, s.P50, s.P90, s.P99, s.P999, s.Max)
}

// MarshalJSON encodes the histogram as a base64 string (compressed V2).
func (h *Hist) MarshalJSON() ([]byte, error) {
	h.mu.Lock()
	b, err := h.h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	h.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("hist: encode: %w", err)
	}
	return json.Marshal(string(b))
}

// UnmarshalJSON decodes what MarshalJSON wrote.
func (h *Hist) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	d, err := hdrhistogram.Decode([]byte(s))
	if err != nil {
		return fmt.Errorf("hist: decode: %w", err)
	}
	h.mu.Lock()
	h.h = d
	h.mu.Unlock()
	return nil
}
