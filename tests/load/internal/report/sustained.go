package report

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/chatforge/chat/tests/load/internal/scenario"
	"github.com/chatforge/chat/tests/load/internal/sustain"
)

// Sustained is the long rooms run: its traffic, in windows of a minute
// (sustained.json, one scenario step per window), and what the stack's
// memory and backlogs did meanwhile (sustained-watch.json).
type Sustained struct {
	Rooms *scenario.Report `json:"rooms,omitempty"`
	Watch *sustain.Result  `json:"watch,omitempty"`
}

// sustainedTarget: the rooms load held for the run with everything
// delivered in every window, flat memory and no growing backlog.
func sustainedTarget(s *Sustained) Target {
	t := Target{Name: "sustained: the rooms load for 10 minutes", Goal: "flat memory, no growing stream lag, everything delivered"}
	if s == nil || s.Rooms == nil || s.Watch == nil || len(s.Rooms.Steps) == 0 {
		judge(&t, false, "")
		return t
	}
	var d, e int64
	var secs float64
	worst := 0.0
	for _, st := range s.Rooms.Steps {
		d, e, secs = d+st.Delivered, e+st.Expected, secs+st.Duration.Seconds()
		worst = max(worst, st.E2E.P99)
	}
	v := s.Watch.Verdict
	t.Measured = fmt.Sprintf("%.0f min, delivered %d/%d, worst minute p99 %.1f ms; RSS growth %s; stream lag max %.2f s; backlog max %d",
		secs/60, d, e, worst, growth(v.MemoryGrowth), v.MaxStreamLag, v.MaxBacklog)
	var gaps []string
	if secs < 600 {
		gaps = append(gaps, fmt.Sprintf("ran %.0f of 10 minutes", secs/60))
	}
	if d != e {
		gaps = append(gaps, fmt.Sprintf("delivered %d of %d", d, e))
	}
	if !v.Flat {
		gaps = append(gaps, v.Why)
	}
	judge(&t, len(gaps) == 0, strings.Join(gaps, "; "))
	return t
}

func growth(g map[string]float64) string {
	var parts []string
	for _, n := range slices.Sorted(maps.Keys(g)) {
		parts = append(parts, fmt.Sprintf("%s %+.1f MB", n, g[n]/(1<<20)))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

func sustainedSection(p func(string, ...any), s *Sustained) {
	if s == nil || s.Rooms == nil {
		return
	}
	chatSection(p, "Sustained rooms load", s.Rooms)
	w := s.Watch
	if w == nil || len(w.Samples) == 0 {
		return
	}
	names := slices.Sorted(maps.Keys(w.Samples[len(w.Samples)-1].RSS))
	p("Each row above is one minute of the same load. Meanwhile, every %.0fs, the stack's own figures (RSS from each binary's /metrics; stream lag is the highest `gateway_stream_lag_seconds`; backlog is the command stream's unread + unacknowledged entries plus unpublished outbox rows), one row a minute:\n\n", w.IntervalSec)
	p("| t (s) | %s | stream lag (s) | command lag / pending | outbox pending |\n|---|%s---|---|---|\n",
		strings.Join(mapNames(names, func(n string) string { return n + " RSS (MB)" }), " | "), strings.Repeat("---|", len(names)))
	every := max(1, int(60/max(w.IntervalSec, 1)))
	for i, s := range w.Samples {
		if i%every != 0 && i != len(w.Samples)-1 {
			continue
		}
		p("| %.0f | %s | %.2f | %d / %d | %d |\n", s.AtSec,
			strings.Join(mapNames(names, func(n string) string { return fmt.Sprintf("%.0f", s.RSS[n]/(1<<20)) }), " | "),
			s.StreamLagSec, s.CommandLag, s.CommandPend, s.OutboxPend)
	}
	verdict := "flat"
	if !w.Verdict.Flat {
		verdict = "not flat: " + w.Verdict.Why
	}
	p("\nVerdict (first fifth is warm-up; first and last thirds of the rest compared): %s. RSS growth: %s.\n\n", verdict, growth(w.Verdict.MemoryGrowth))
}

func mapNames(names []string, f func(string) string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = f(n)
	}
	return out
}
