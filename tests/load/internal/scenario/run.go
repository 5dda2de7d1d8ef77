package scenario

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/chatforge/chat/tests/load/internal/hops"
	"github.com/chatforge/chat/tests/load/internal/procstat"
	"github.com/chatforge/chat/tests/load/internal/seed"
)

// Options are the parent's settings of a run.
type Options struct {
	Procs   int    // shard processes; 1: all in this process; 0: as many as PerProc needs
	PerProc int    // most sockets per shard process (the file limit is 20k)
	Steps   []Step // run in order; the first is the standard figure, later ones look for the knee
	// StopP99 fails a step whose e2e p99 is above it (0: no bound). The
	// knee steps (all but the first) stop at the first failing one.
	StopP99 time.Duration
	Watch   []procstat.Group
	Metrics []string // the gateways' /metrics URLs
	// Hops are the /metrics URLs (api and gateways) whose per-hop
	// histograms give each step its breakdown; none: no breakdown.
	Hops []string
	Log  io.Writer
}

// Run runs a workload: setup in every shard, then the steps.
func Run(ctx context.Context, cfg Config, o Options) (*Report, error) {
	s, err := seed.Read(cfg.SeedPath)
	if err != nil {
		return nil, err
	}
	if err := cfg.Validate(s); err != nil {
		return nil, err
	}
	if o.Log == nil {
		o.Log = os.Stderr
	}
	procs := o.Procs
	if procs <= 0 {
		procs = (cfg.Clients + max(o.PerProc, 1) - 1) / max(o.PerProc, 1)
	}
	rep := &Report{Workload: cfg.Workload, Config: cfg, Procs: procs, Started: time.Now().UTC()}
	memBefore := scrapeAll(ctx, o.Metrics)

	var workers []worker
	defer func() {
		for _, w := range workers {
			w.stop()
		}
	}()
	per := (cfg.Clients + procs - 1) / procs
	for from := 0; from < cfg.Clients; from += per {
		to := min(from+per, cfg.Clients)
		if procs == 1 {
			workers = append(workers, newLocalWorker(ctx, cfg, s, from, to))
			continue
		}
		w, err := newChildWorker(ctx, cfg, from, to)
		if err != nil {
			return nil, err
		}
		workers = append(workers, w)
	}
	watch := append(o.Watch, loadGroup(workers))
	fmt.Fprintf(o.Log, "%s: %d clients in %d process(es): connecting\n", cfg.Workload, cfg.Clients, len(workers))

	mon := procstat.Start(watch, 0)
	setup := newSetup(0)
	for _, w := range workers {
		r, err := w.setup()
		if err != nil {
			return nil, err
		}
		setup.Merge(r)
	}
	rep.Setup = summarizeSetup(setup, mon.Stop())
	fmt.Fprintf(o.Log, "%s: connected %d/%d in %.1fs (%.0f/s), joined %d, errors %v\n", cfg.Workload,
		setup.Connected, setup.Clients, setup.WallSec, rep.Setup.ConnectPerSec, setup.Joined, setup.Errors)
	if len(o.Metrics) > 0 {
		rep.Memory = memoryReport(o.Metrics, memBefore, scrapeAll(ctx, o.Metrics))
	}

	for i, st := range o.Steps {
		st.N = i
		at := time.Now().Add(500 * time.Millisecond) // every shard has the command by then
		for _, w := range workers {
			w.start(st, at)
		}
		time.Sleep(time.Until(at))
		hw := hops.Start(ctx, o.Hops)
		mon := procstat.Start(watch, 0)
		time.Sleep(st.Duration)
		cpu := mon.Stop()
		if i == 0 && rep.Memory != nil {
			rep.Memory.afterHold(scrapeAll(ctx, o.Metrics))
		}
		merged := newStepResult(st)
		for _, w := range workers {
			r, err := w.result()
			if err != nil {
				return rep, err
			}
			merged.Merge(r)
		}
		sum := summarizeStep(merged, cpu, o.StopP99)
		sum.Hops = hw.Rows(ctx) // after the results: the drain is in
		rep.Steps = append(rep.Steps, sum)
		verdict := map[bool]string{true: "ok", false: "FAIL " + sum.Why}[sum.Pass]
		if st.Rate == 0 {
			fmt.Fprintf(o.Log, "%s: held %d sockets for %s: %s\n", cfg.Workload, setup.Connected, st.Duration, verdict)
		} else {
			fmt.Fprintf(o.Log, "%s: step %d, %g msg/s x %d senders: delivered %d/%d, e2e %v, ack p99 %.1fms, stored p50/p99 %.1f/%.1fms, after store p50/p99 %.1f/%.1fms%s: %s\n", cfg.Workload, i,
				st.Rate, sum.Senders, sum.Delivered, sum.Expected, sum.E2E, sum.Ack.P99, sum.Stored.P50, sum.Stored.P99,
				sum.AfterStore.P50, sum.AfterStore.P99, schedNote(sum), verdict)
		}
		if !sum.Pass && i > 0 {
			break
		}
		if ctx.Err() != nil {
			return rep, ctx.Err()
		}
	}
	rep.Knee = knee(rep.Steps)
	return rep, nil
}

// loadGroup is this process and its shard children.
func loadGroup(ws []worker) procstat.Group {
	g := procstat.Group{Name: "load", Pids: []int{os.Getpid()}}
	for _, w := range ws {
		if p := w.pid(); p != 0 {
			g.Pids = append(g.Pids, p)
		}
	}
	return g
}

func scrapeAll(ctx context.Context, urls []string) []map[string]float64 {
	out := make([]map[string]float64, len(urls))
	for i, u := range urls {
		m, err := procstat.Scrape(ctx, u)
		if err != nil {
			m = map[string]float64{}
		}
		out[i] = m
	}
	return out
}
