// Package hops reads the message path's per-hop latency histograms from the
// binaries' /metrics pages and summarises what happened between two reads:
// how many observations each hop had and its p50 and p99, estimated inside
// the Prometheus buckets (linear within a bucket, as histogram_quantile).
package hops

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Hop is one hop of the path and the histogram that measures it.
type Hop struct {
	Name   string // what it measures
	Metric string // the histogram's name (without _bucket)
}

// Path lists the hops in the order a message takes them.
var Path = []Hop{
	{"command: gateway append -> api read", "chat_command_wait_seconds"},
	{"send batch stored (to commit)", "chat_send_batch_seconds"},
	{"event: transaction -> stream (relay)", "chat_event_publish_seconds"},
	{"event: transaction -> gateway read", "gateway_event_age_seconds"},
	{"fan-out: frames queued to the room", "gateway_fanout_seconds"},
	{"command round trip at the gateway", "gateway_command_seconds"},
}

// Histogram is a cumulative histogram: Counts[i] observations <= Bounds[i]
// (the last bound is +Inf).
type Histogram struct {
	Bounds []float64
	Counts []float64
}

// Snapshot maps a metric name to its histogram, summed over label sets and
// binaries.
type Snapshot map[string]*Histogram

// Read scrapes every URL and sums their histograms of the Path's metrics.
func Read(ctx context.Context, urls []string) (Snapshot, error) {
	s := Snapshot{}
	for _, u := range urls {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			cancel()
			return nil, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			cancel()
			return nil, err
		}
		err = s.add(resp.Body)
		resp.Body.Close()
		cancel()
		if err != nil {
			return nil, fmt.Errorf("hops: %s: %w", u, err)
		}
	}
	return s, nil
}

// add sums the bucket lines of a Prometheus text page into s.
func (s Snapshot) add(r io.Reader) error {
	wanted := map[string]bool{}
	for _, h := range Path {
		wanted[h.Metric+"_bucket"] = true
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		brace := strings.IndexByte(line, '{')
		if brace < 0 || !wanted[line[:brace]] {
			continue
		}
		_, rest, _ := strings.Cut(line[brace:], `le="`)
		le, rest, ok := strings.Cut(rest, `"`)
		if !ok {
			continue
		}
		bound, err1 := strconv.ParseFloat(le, 64)
		v, err2 := strconv.ParseFloat(strings.TrimSpace(rest[strings.LastIndexByte(rest, ' ')+1:]), 64)
		if err1 != nil || err2 != nil {
			continue
		}
		name := strings.TrimSuffix(line[:brace], "_bucket")
		h := s[name]
		if h == nil {
			h = &Histogram{}
			s[name] = h
		}
		i, found := slices.BinarySearch(h.Bounds, bound)
		if !found {
			h.Bounds = slices.Insert(h.Bounds, i, bound)
			h.Counts = slices.Insert(h.Counts, i, 0)
		}
		h.Counts[i] += v
	}
	return sc.Err()
}

// Since returns what was observed between before and s.
func (s Snapshot) Since(before Snapshot) Snapshot {
	out := Snapshot{}
	for name, h := range s {
		d := &Histogram{Bounds: slices.Clone(h.Bounds), Counts: slices.Clone(h.Counts)}
		if b := before[name]; b != nil {
			for i, bound := range d.Bounds {
				if j, ok := slices.BinarySearch(b.Bounds, bound); ok {
					d.Counts[i] -= b.Counts[j]
				}
			}
		}
		out[name] = d
	}
	return out
}

// Count is the number of observations.
func (h *Histogram) Count() float64 {
	if h == nil || len(h.Counts) == 0 {
		return 0
	}
	return h.Counts[len(h.Counts)-1]
}

// Quantile estimates the q-quantile (0 < q < 1) in seconds, interpolating
// linearly inside its bucket; NaN without observations. One in the +Inf
// bucket is reported as the highest finite bound.
func (h *Histogram) Quantile(q float64) float64 {
	n := h.Count()
	if n == 0 {
		return math.NaN()
	}
	rank := q * n
	lower, below := 0.0, 0.0
	for i, bound := range h.Bounds {
		if h.Counts[i] >= rank {
			if math.IsInf(bound, 1) {
				return lower
			}
			in := h.Counts[i] - below
			if in <= 0 {
				return bound
			}
			return lower + (bound-lower)*(rank-below)/in
		}
		lower, below = bound, h.Counts[i]
	}
	return lower
}

// Markdown is the breakdown as a table, one row per hop of the Path.
func (s Snapshot) Markdown() string {
	var b strings.Builder
	b.WriteString("| hop | metric | count | p50 | p99 |\n|---|---|---|---|---|\n")
	for _, hop := range Path {
		h := s[hop.Metric]
		if h.Count() == 0 {
			fmt.Fprintf(&b, "| %s | `%s` | 0 | - | - |\n", hop.Name, hop.Metric)
			continue
		}
		fmt.Fprintf(&b, "| %s | `%s` | %.0f | %s | %s |\n", hop.Name, hop.Metric, h.Count(),
			ms(h.Quantile(0.5)), ms(h.Quantile(0.99)))
	}
	return b.String()
}

func ms(sec float64) string { return strconv.FormatFloat(sec*1000, 'f', 2, 64) + " ms" }

// Row is one hop's figures between two reads, for JSON reports.
type Row struct {
	Hop    string  `json:"hop"`
	Metric string  `json:"metric"`
	Count  float64 `json:"count"`
	P50Ms  float64 `json:"p50Ms"` // NaN-free: 0 without observations
	P99Ms  float64 `json:"p99Ms"`
}

// Rows is the breakdown as one row per hop of the Path.
func (s Snapshot) Rows() []Row {
	rows := make([]Row, 0, len(Path))
	for _, hop := range Path {
		h := s[hop.Metric]
		r := Row{Hop: hop.Name, Metric: hop.Metric, Count: h.Count()}
		if r.Count > 0 {
			r.P50Ms, r.P99Ms = h.Quantile(0.5)*1000, h.Quantile(0.99)*1000
		}
		rows = append(rows, r)
	}
	return rows
}

// Window reads the snapshots of urls before and after what it measures:
// Start, then Rows. A page that cannot be read leaves the breakdown
// empty, never fails the workload.
type Window struct {
	urls   []string
	before Snapshot
}

// Start reads the histograms now; nil when there is nothing to read.
func Start(ctx context.Context, urls []string) *Window {
	if len(urls) == 0 {
		return nil
	}
	s, err := Read(ctx, urls)
	if err != nil {
		return &Window{urls: urls}
	}
	return &Window{urls: urls, before: s}
}

// Rows is what happened since Start, per hop; nil if either read failed.
func (w *Window) Rows(ctx context.Context) []Row {
	if w == nil || w.before == nil {
		return nil
	}
	after, err := Read(ctx, w.urls)
	if err != nil {
		return nil
	}
	return after.Since(w.before).Rows()
}
