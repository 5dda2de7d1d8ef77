package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chatforge/chat/tests/load/internal/hist"
	"github.com/chatforge/chat/tests/load/internal/hops"
	"github.com/chatforge/chat/tests/load/internal/httpload"
	"github.com/chatforge/chat/tests/load/internal/procstat"
	"github.com/chatforge/chat/tests/load/internal/scenario"
)

// A pinned run is judged on issue 18's targets, reads its idle-socket runs
// and shows each phase's per-hop breakdown; it leaves latest.md alone.
func TestPinnedReport(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name string, v any) {
		t.Helper()
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rows := []hops.Row{{Hop: hops.Path[1].Name, Metric: hops.Path[1].Metric, Count: 1200, P50Ms: 1.5, P99Ms: 9}}
	step := func(perSec, p50, p99 float64) scenario.StepSummary {
		return scenario.StepSummary{Step: scenario.Step{Rate: perSec / 2000, Duration: time.Second}, Senders: 2000,
			OfferedPerSec: perSec, AckedPerSec: perSec, Delivered: 10, Expected: 10, DeliveryRatio: 1, Pass: true,
			E2E: hist.Summary{P50: p50, P99: p99}, Hops: rows}
	}
	write("settings.json", map[string]string{"mode": "pinned", "server cpu": "0", "load cpu": "1"})
	write("rooms.json", scenario.Report{Workload: "rooms", Setup: scenario.SetupSummary{Clients: 2000},
		Steps: []scenario.StepSummary{step(500, 2, 12), step(1000, 3, 30), step(2000, 9, 70)}})
	idle := func(n int, perConn float64) scenario.Report {
		return scenario.Report{Workload: "connections", Setup: scenario.SetupSummary{Clients: n, Connected: n, ConnectPerSec: 7000},
			Memory: &scenario.Memory{Conns: float64(n), RSSPerConn: perConn}, Steps: []scenario.StepSummary{{}}}
	}
	write("idle-25000.json", idle(25000, 9000))
	write("idle-10000.json", idle(10000, 7000))
	write("http-post.json", httpload.Result{OKPerSec: 3500, Hops: rows})

	r, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Pinned() || len(r.Idle) != 2 || r.Idle[0].Setup.Clients != 10000 {
		t.Fatalf("pinned %v, idle runs %d", r.Pinned(), len(r.Idle))
	}
	r.Evaluate()
	status := map[string]string{}
	for _, tg := range r.Targets {
		status[tg.Name] = tg.Status
	}
	want := map[string]string{
		"rooms at 500 stored msgs/s (2,000 clients x 0.25 msg/s)": "met",
		"rooms: the knee":                     "missed", // 1,000 msgs/s: p99 70 ms at 2,000
		"idle sockets: 10,000":                "met",
		"idle sockets: 25,000":                "missed", // 8.8 KB
		"REST post at 50 connections":         "met",
		"REST history at 50 connections":      "not run",
		"broadcast: 5,000 members, 10 msgs/s": "not run",
	}
	for name, st := range want {
		if status[name] != st {
			t.Errorf("%s: %q, want %q", name, status[name], st)
		}
	}
	out := t.TempDir()
	if err := r.Write(out, "x-pinned"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, "latest.md")); err == nil {
		t.Error("a pinned report replaced latest.md")
	}
	md, err := os.ReadFile(filepath.Join(out, "latest-pinned.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Pinned mode", "## Idle sockets", "## Per-hop breakdown", "| rooms at 0.25 msg/s x 2000 senders (500 msgs/s) |", "1,200: 1.50 / 9.00", "| http post |"} {
		if !strings.Contains(string(md), s) {
			t.Errorf("report lacks %q", s)
		}
	}
}

// Past the knee, a run is met only when the server slowed its senders
// (refused sends) and kept what it accepted fast, whole and connected.
func TestPastKneeTarget(t *testing.T) {
	t.Parallel()
	ok := scenario.StepSummary{OfferedPerSec: 8000, AckedPerSec: 4000, Sent: 100, Acked: 60, Delivered: 600, Expected: 600,
		SendErrors: map[string]int64{"unavailable": 35, "rate_limited": 5}, E2E: hist.Summary{P99: 640}, Ack: hist.Summary{P99: 420}}
	if gaps := pastKneeGaps(ok); len(gaps) != 0 {
		t.Errorf("slowed, fast and whole: gaps %v", gaps)
	}
	cases := map[string]func(*scenario.StepSummary){
		"nothing refused":   func(s *scenario.StepSummary) { s.SendErrors = nil },
		"only other errors": func(s *scenario.StepSummary) { s.SendErrors = map[string]int64{"forbidden": 3} },
		"slow accepted":     func(s *scenario.StepSummary) { s.E2E.P99 = 23500 },
		"slow acks":         func(s *scenario.StepSummary) { s.Ack.P99 = 1500 },
		"dropped":           func(s *scenario.StepSummary) { s.Drops = 1 },
		"lost deliveries":   func(s *scenario.StepSummary) { s.Delivered = 599 },
		"unanswered":        func(s *scenario.StepSummary) { s.Unacked = 1 },
		"gap":               func(s *scenario.StepSummary) { s.Gaps = 1 },
	}
	for name, spoil := range cases {
		s := ok
		s.SendErrors = map[string]int64{"unavailable": 35, "rate_limited": 5}
		spoil(&s)
		if gaps := pastKneeGaps(s); len(gaps) == 0 {
			t.Errorf("%s: judged met", name)
		}
	}
	if got := refusedCell(ok); !strings.Contains(got, "unavailable ×35") || !strings.Contains(got, "rate_limited ×5") {
		t.Errorf("refused cell %q", got)
	}
}

// In the pinned mode the servers share one core: a window where they used
// all of it is CPU-bound, although the machine's two cores were not both
// busy.
func TestPinnedBoundByJudgesTheServerCore(t *testing.T) {
	t.Parallel()
	cpu := procstat.CPUReport{WindowSec: 30, Cores: 2, MachineBusy: 1.17, Groups: map[string]procstat.Usage{
		"postgres": {Cores: 0.43}, "gateway": {Cores: 0.24}, "api": {Cores: 0.23}, "redis": {Cores: 0.09}, "load": {Cores: 0.16},
	}}
	if got := pinnedBoundBy(cpu); !strings.HasPrefix(got, "CPU: the server core was 99% busy (cores used: postgres 0.43, gateway 0.24") {
		t.Errorf("saturated server core: %q", got)
	}
	cpu.Groups["postgres"] = procstat.Usage{Cores: 0.1}
	if got := pinnedBoundBy(cpu); !strings.HasPrefix(got, "not CPU: the server core was 66% busy") {
		t.Errorf("server core at 66%%: %q", got)
	}
}
