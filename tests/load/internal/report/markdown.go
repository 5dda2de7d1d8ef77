package report

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/chatforge/chat/tests/load/internal/hist"
	"github.com/chatforge/chat/tests/load/internal/procstat"
	"github.com/chatforge/chat/tests/load/internal/scenario"
)

// Write stores <name>.json, <name>.md and latest.md in dir.
func (r *Report) Write(dir, name string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, name+".json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	var md strings.Builder
	r.Markdown(&md, name+".json")
	latest := "latest.md"
	if r.Pinned() {
		latest = "latest-pinned.md" // a different set of workloads and targets
	}
	for _, f := range []string{name + ".md", latest} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(md.String()), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Markdown writes the human report.
func (r *Report) Markdown(w io.Writer, jsonName string) {
	p := func(f string, a ...any) { fmt.Fprintf(w, f, a...) }
	m := r.Machine
	p("# Benchmark report %s\n\n", r.Date)
	p("Produced by `go tool task bench` (scripts/bench.sh) against a freshly started stack; every figure is in [%s](%s).\n\n", jsonName, jsonName)
	p("| machine | |\n|---|---|\n| CPU | %s, %d cores |\n| memory | %.1f GiB |\n| kernel | %s |\n| Go | %s |\n| PostgreSQL | %s |\n| Redis | %s |\n| open-file limit | %d per process |\n| load average after the run | %s |\n\n",
		m.CPUModel, m.Cores, m.MemoryGiB, m.Kernel, m.Go, m.PostgreSQL, m.Redis, m.FileLimit, m.LoadAvg)
	if len(r.Settings) > 0 {
		p("Settings:\n\n")
		for _, k := range slices.Sorted(maps.Keys(r.Settings)) {
			p("- `%s` = %s\n", k, r.Settings[k])
		}
		p("\n")
	}
	if r.Pinned() {
		p("**Pinned mode** (`go tool task bench:pinned`, issue 18's conditions): the api, the gateways, PostgreSQL and Redis on CPU %s, the load tool on CPU %s (taskset). ",
			r.Settings["server cpu"], r.Settings["load cpu"])
		p("The figures are capacity figures only if nothing else ran on the machine: see the load average above and \"other\" in the CPU columns.\n\n")
	} else {
		p("The load tool, PostgreSQL, Redis and the binaries share the same cores: the CPU columns say who used them. ")
	}
	p("\"other\" is everything else on the machine during the window.\n\n")

	p("## Targets\n\n| target | goal | measured | status | what bounds it |\n|---|---|---|---|---|\n")
	for _, t := range r.Targets {
		status := t.Status
		if t.Gap != "" {
			status += ": " + t.Gap
		}
		bound := t.BoundBy
		if t.Profile != "" {
			bound = strings.TrimPrefix(bound+"; "+t.Profile, "; ")
		}
		p("| %s | %s | %s | %s | %s |\n", t.Name, t.Goal, cell(t.Measured), cell(status), cell(bound))
	}
	p("\n")

	if len(r.HTTP) > 0 {
		p("## HTTP\n\n| endpoint | concurrency | users | ok/s | failed | p50 | p90 | p99 | p99.9 | max | bytes/resp | CPU (cores) |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n")
		for _, ep := range Endpoints {
			res := r.HTTP[ep]
			if res == nil {
				continue
			}
			l := res.Latency
			p("| %s | %d | %d | %s | %d %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.0f | %s |\n", ep, res.Config.Concurrency, res.Users,
				thousands(res.OKPerSec), res.Failed, failures(res.Statuses, res.Errors), l.P50, l.P90, l.P99, l.P999, l.Max, res.BytesPerResp, cpuCell(res.CPU))
		}
		p("\nLatencies in ms, client side (request written to answer read), %s measured after a warm-up.\n\n", durationOf(r))
	}
	if c := r.Connections; c != nil {
		s := c.Setup
		p("## Connections\n\n%d sockets over %d gateway(s) from %d load process(es).\n\n", s.Clients, len(c.Config.URLs), c.Procs)
		p("| connected | failed | connect rate | connect p50 / p99 / max (ms) | CPU during connect | CPU ms per connect |\n|---|---|---|---|---|---|\n")
		p("| %d | %d %s | %s/s | %.1f / %.1f / %.1f | %s | %s |\n\n", s.Connected, s.ConnectFailed, cell(counts(s.Errors)),
			thousands(s.ConnectPerSec), s.Connect.P50, s.Connect.P99, s.Connect.Max, cpuCell(s.CPU), perConnect(s.CPUPerConnectMs))
		if mem := c.Memory; mem != nil {
			p("Gateway memory: **%.1f KB RSS per connection**, %.1f KB of Go heap + stacks per connection; RSS after the hold %.0f MB in all.\n\n",
				mem.RSSPerConn/1024, mem.HeapStackPerConn/1024, mem.RSSAfterHold/(1<<20))
			p("| gateway | connections | RSS before → after (MB) | heap+stacks before → after (MB) | goroutines |\n|---|---|---|---|---|\n")
			for _, g := range mem.Gateways {
				p("| %s | %.0f | %.0f → %.0f | %.0f → %.0f | %.0f |\n", g.URL, g.ConnsAfter, g.RSSBefore/(1<<20), g.RSSAfter/(1<<20),
					g.HeapStackBefore/(1<<20), g.HeapStackAfter/(1<<20), g.GoroutinesAfter)
			}
			p("\n")
		}
		for _, st := range c.Steps {
			p("Held for %s: %d dropped, CPU %s.\n\n", st.Duration, st.Drops, cpuCell(st.CPU))
		}
	}
	idleSection(p, r.Idle)
	chatSection(p, "Rooms", r.Rooms)
	chatSection(p, "Broadcast", r.Broadcast)
	hopsSection(p, r)
	sustainedSection(p, r.Sustained)
	profileSection(p, r.Profiles)
	p("## How to rerun\n\n```sh\ngo tool task bench            # the standard suite, ~10 minutes, writes tests/load/reports/\n")
	p("go tool task bench:pinned     # issue 18's conditions: servers on one core, the load on another (BENCH_* knobs in scripts/bench-pinned.sh)\n")
	p("BENCH_PROFILE=0 go tool task bench   # without the CPU profiles of the binaries\ngo tool task bench:sustained  # the rooms load for 10 minutes, memory and backlogs watched\n```\n\n")
	p("Single workloads: `go run ./tests/load <workload> -h` (tests/load/README.md).\n")
}

func chatSection(p func(string, ...any), title string, rep *scenario.Report) {
	if rep == nil {
		return
	}
	s := rep.Setup
	p("## %s\n\n%d clients over %d gateway(s), %d load process(es); connected %d, joined %d, failures %d (%s); join p99 %.1f ms.\n\n",
		title, s.Clients, len(rep.Config.URLs), rep.Procs, s.Connected, s.Joined, s.ConnectFailed+s.JoinFailed, cell(counts(s.Errors)), s.Join.P99)
	p("| rate/sender | senders | offered msgs/s | acked/s | deliveries/s | delivered/expected | e2e p50 / p90 / p99 / p99.9 / max (ms) | ack p50 / p99 (ms) | refused sends | stored p50 / p99, after store p50 / p99 (ms) | first / last copy p99 (ms) | load send lag p99, its goroutines' sched latency p99, read lag p99 | CPU (cores) | pass |\n")
	p("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, st := range rep.Steps {
		sched := ""
		if st.LoadSched != nil {
			sched = fmt.Sprintf(", %.2f ms", st.LoadSched.P99)
		}
		if st.LoadReadLag != nil {
			sched += fmt.Sprintf(", read lag %.2f ms", st.LoadReadLag.P99)
		}
		copies := "-"
		if st.FirstCopy != nil {
			copies = fmt.Sprintf("%.1f / %.1f", st.FirstCopy.P99, st.LastCopy.P99)
		}
		pass := "yes"
		if !st.Pass {
			pass = "no: " + cell(st.Why)
		}
		p("| %g | %d | %s | %s | %s | %d/%d = %.4f | %s | %.1f / %.1f | %s | %.1f / %.1f, %.1f / %.1f | %s | %.1f ms%s | %s | %s |\n", st.Rate, st.Senders,
			thousands(st.OfferedPerSec), thousands(st.AckedPerSec), thousands(st.DeliveriesPerSec), st.Delivered, st.Expected,
			st.DeliveryRatio, lat(st.E2E), st.Ack.P50, st.Ack.P99, refusedCell(st), st.Stored.P50, st.Stored.P99, st.AfterStore.P50, st.AfterStore.P99,
			copies, st.SendLag.P99, sched, cpuCell(st.CPU), pass)
	}
	for _, st := range rep.Steps {
		if len(st.Other) > 0 {
			p("\nOther frames received at %g msg/s: %s.", st.Rate, counts(st.Other))
		}
	}
	if len(rep.Steps) > 1 && rep.Steps[1].Rate != rep.Steps[0].Rate {
		p("\nThe first row is the standard figure; the next rows raise the rate on the same sockets to find the knee (stepping stops at the first failing step).")
	}
	p("\nEnd-to-end latency is from the sender's write to each member's read (the sender's own copy included); after each step the tool waits up to %s for acks and deliveries. ", rep.Config.Drain)
	p("It splits at the message's timestamp (the database clock as its room was locked, in ms, same host): \"stored\" is the sender's write to it (gateway, command stream, api batch), \"after store\" is from it to each member's read (commit, outbox relay, event stream, fan-out, and the load tool's own reading). ")
	p("Send errors: %s.\n\n", counts(errorsOf(rep)))
}

// refusedCell is a step's refused sends by code (the server slowing its
// senders), with the unanswered ones; "0" when every send was acked.
func refusedCell(st scenario.StepSummary) string {
	if len(st.SendErrors) == 0 && st.Unacked == 0 {
		return "0"
	}
	c := cell(counts(st.SendErrors))
	if st.Unacked > 0 {
		c += fmt.Sprintf("; unanswered ×%d", st.Unacked)
	}
	return c
}

func errorsOf(rep *scenario.Report) map[string]int64 {
	out := map[string]int64{}
	for _, st := range rep.Steps {
		for k, v := range st.SendErrors {
			out[k] += v
		}
	}
	return out
}

func lat(s hist.Summary) string {
	return fmt.Sprintf("%.1f / %.1f / %.1f / %.1f / %.1f", s.P50, s.P90, s.P99, s.P999, s.Max)
}

func cpuCell(c procstat.CPUReport) string {
	var parts []string
	var ours float64
	for _, n := range slices.Sorted(maps.Keys(c.Groups)) {
		parts = append(parts, fmt.Sprintf("%s %.2f", n, c.Groups[n].Cores))
		ours += c.Groups[n].Cores
	}
	parts = append(parts, fmt.Sprintf("other %.2f", max(c.MachineBusy-ours, 0)))
	return strings.Join(parts, ", ")
}

func perConnect(m map[string]float64) string {
	var parts []string
	for _, n := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %.3f", n, m[n]))
	}
	return strings.Join(parts, ", ")
}

func durationOf(r *Report) string {
	for _, ep := range Endpoints {
		if res := r.HTTP[ep]; res != nil {
			return res.Config.Duration.String()
		}
	}
	return ""
}

// counts formats error counts as "text ×n; ...".
func counts[V int | int64](m map[string]V) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, m[k]))
	}
	return strings.Join(parts, "; ")
}

// failures lists unexpected statuses and transport errors.
func failures(statuses map[string]int64, errs map[string]int64) string {
	m := map[string]int64{}
	for k, v := range statuses {
		if len(k) == 3 && k[0] != '2' {
			m["HTTP "+k] += v
		}
	}
	for k, v := range errs {
		m[k] += v
	}
	if len(m) == 0 {
		return ""
	}
	return "(" + cell(counts(m)) + ")"
}

// cell keeps a value inside its Markdown table cell.
func cell(s string) string {
	if s == "map[]" {
		return ""
	}
	return strings.NewReplacer("|", "\\|", "\n", " ").Replace(s)
}
