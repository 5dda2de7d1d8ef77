// Package sustain watches a stack through a long run: the memory of each
// binary (from its own /metrics), the event-stream lag the gateways report,
// the command stream's backlog and the outbox backlog. A load that holds
// must leave all of them flat: memory that keeps climbing is a leak, a
// backlog that keeps growing is a consumer falling behind.
package sustain

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/tests/load/internal/procstat"
)

// Config names what to watch. Metrics maps a process name to its
// Prometheus page; empty RedisURL or DatabaseURL skip those sources.
type Config struct {
	Metrics       map[string]string
	RedisURL      string
	DatabaseURL   string
	CommandStream string // chat:commands
	CommandGroup  string // api
	Interval      time.Duration
}

// Sample is one reading. Lag and backlog fields are -1 when unread.
type Sample struct {
	AtSec        float64            `json:"atSec"` // since the watch started
	RSS          map[string]float64 `json:"rssBytes"`
	Heap         map[string]float64 `json:"heapInuseBytes"`
	Goroutines   map[string]float64 `json:"goroutines"`
	StreamLagSec float64            `json:"streamLagSec"`   // highest gateway_stream_lag_seconds
	CommandLag   int64              `json:"commandLag"`     // entries the api group has not read yet
	CommandPend  int64              `json:"commandPending"` // read and not acknowledged
	OutboxPend   int64              `json:"outboxPending"`  // stored events not yet on the streams
	Errors       []string           `json:"errors,omitempty"`
}

// Result is the whole watch and its verdict.
type Result struct {
	IntervalSec float64  `json:"intervalSec"`
	Samples     []Sample `json:"samples"`
	Verdict     Verdict  `json:"verdict"`
}

// Watch samples every Interval until ctx is done and returns what it saw.
func Watch(ctx context.Context, cfg Config) Result {
	if cfg.Interval <= 0 {
		cfg.Interval = 10 * time.Second
	}
	var rdb *redis.Client
	if cfg.RedisURL != "" {
		if opt, err := redis.ParseURL(cfg.RedisURL); err == nil {
			rdb = redis.NewClient(opt)
			defer rdb.Close()
		}
	}
	var db *pgx.Conn
	if cfg.DatabaseURL != "" {
		if c, err := pgx.Connect(ctx, cfg.DatabaseURL); err == nil {
			db = c
			defer db.Close(context.Background())
		}
	}
	start := time.Now()
	res := Result{IntervalSec: cfg.Interval.Seconds()}
	t := time.NewTicker(cfg.Interval)
	defer t.Stop()
	for {
		res.Samples = append(res.Samples, sample(ctx, cfg, rdb, db, time.Since(start)))
		select {
		case <-ctx.Done():
			res.Verdict = Judge(res.Samples)
			return res
		case <-t.C:
		}
	}
}

func sample(ctx context.Context, cfg Config, rdb *redis.Client, db *pgx.Conn, at time.Duration) Sample {
	// A reading taken as the run is cancelled still counts: give it its
	// own short deadline.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	s := Sample{AtSec: at.Seconds(), RSS: map[string]float64{}, Heap: map[string]float64{}, Goroutines: map[string]float64{},
		CommandLag: -1, CommandPend: -1, OutboxPend: -1}
	for _, name := range slices.Sorted(maps.Keys(cfg.Metrics)) {
		m, err := procstat.Scrape(rctx, cfg.Metrics[name])
		if err != nil {
			s.Errors = append(s.Errors, fmt.Sprintf("%s: %v", name, err))
			continue
		}
		s.RSS[name] = m["process_resident_memory_bytes"]
		s.Heap[name] = m["go_memstats_heap_inuse_bytes"]
		s.Goroutines[name] = m["go_goroutines"]
		s.StreamLagSec = max(s.StreamLagSec, m["gateway_stream_lag_seconds"])
	}
	if rdb != nil {
		groups, err := rdb.XInfoGroups(rctx, cfg.CommandStream).Result()
		if err != nil {
			s.Errors = append(s.Errors, "redis: "+err.Error())
		}
		for _, g := range groups {
			if g.Name == cfg.CommandGroup {
				s.CommandLag, s.CommandPend = g.Lag, g.Pending
			}
		}
	}
	if db != nil {
		if err := db.QueryRow(rctx, `SELECT count(*) FROM outbox WHERE published_at IS NULL`).Scan(&s.OutboxPend); err != nil {
			s.Errors = append(s.Errors, "postgres: "+err.Error())
		}
	}
	return s
}

// Verdict says whether the run stayed flat, and why not.
type Verdict struct {
	Flat bool `json:"flat"`
	// MemoryGrowth is each process's RSS change from the first third of
	// the run after warm-up to the last third (medians), in bytes.
	MemoryGrowth map[string]float64 `json:"memoryGrowthBytes"`
	MaxStreamLag float64            `json:"maxStreamLagSec"`
	MaxBacklog   int64              `json:"maxBacklog"` // command lag + pending + outbox, highest seen
	Why          string             `json:"why,omitempty"`
}

// Thresholds of Judge. A process may grow by what caches and pools reach
// once warm, not by a share of the run: 10% of its RSS or 16 MB, whichever
// is more. A stream lag or backlog is "growing" when the last third's
// median is above the first third's by more than the noise floor.
const (
	memSlack     = 0.10
	memFloor     = 16 << 20
	lagSlack     = 0.5  // seconds
	backlogSlack = 2000 // entries: about one second of the rooms load
)

// Judge reads the samples: the first fifth is warm-up (sockets joining,
// pools filling), then the first and last thirds of the rest are compared.
func Judge(ss []Sample) Verdict {
	v := Verdict{Flat: true, MemoryGrowth: map[string]float64{}}
	for _, s := range ss {
		v.MaxStreamLag = max(v.MaxStreamLag, s.StreamLagSec)
		v.MaxBacklog = max(v.MaxBacklog, max(s.CommandLag, 0)+max(s.CommandPend, 0)+max(s.OutboxPend, 0))
	}
	ss = ss[len(ss)/5:]
	if len(ss) < 6 {
		return Verdict{Why: fmt.Sprintf("too few samples (%d after warm-up) to judge", len(ss))}
	}
	third := len(ss) / 3
	first, last := ss[:third], ss[len(ss)-third:]
	var why []string
	names := map[string]bool{}
	for _, s := range ss {
		for n := range s.RSS {
			names[n] = true
		}
	}
	for _, n := range slices.Sorted(maps.Keys(names)) {
		a := median(first, func(s Sample) float64 { return s.RSS[n] })
		b := median(last, func(s Sample) float64 { return s.RSS[n] })
		v.MemoryGrowth[n] = b - a
		if b-a > max(memSlack*a, memFloor) {
			why = append(why, fmt.Sprintf("%s RSS grew %.0f MB (%.0f -> %.0f MB)", n, (b-a)/(1<<20), a/(1<<20), b/(1<<20)))
		}
	}
	lagA := median(first, func(s Sample) float64 { return s.StreamLagSec })
	lagB := median(last, func(s Sample) float64 { return s.StreamLagSec })
	if lagB-lagA > lagSlack {
		why = append(why, fmt.Sprintf("stream lag grew from %.2fs to %.2fs", lagA, lagB))
	}
	backlog := func(s Sample) float64 {
		return float64(max(s.CommandLag, 0) + max(s.CommandPend, 0) + max(s.OutboxPend, 0))
	}
	if a, b := median(first, backlog), median(last, backlog); b-a > backlogSlack {
		why = append(why, fmt.Sprintf("backlog grew from %.0f to %.0f entries", a, b))
	}
	if len(why) > 0 {
		v.Flat, v.Why = false, strings.Join(why, "; ")
	}
	return v
}

func median(ss []Sample, f func(Sample) float64) float64 {
	xs := make([]float64, len(ss))
	for i, s := range ss {
		xs[i] = f(s)
	}
	sort.Float64s(xs)
	return xs[len(xs)/2]
}
