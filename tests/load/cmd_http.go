package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/chatforge/chat/tests/load/internal/hops"
	"github.com/chatforge/chat/tests/load/internal/httpload"
	"github.com/chatforge/chat/tests/load/internal/procstat"
	"github.com/chatforge/chat/tests/load/internal/seed"
)

const watchHelp = `processes whose CPU and RSS to report: name=pattern,... where pattern is a ` +
	`substring of the command line or pids joined by + (e.g. api=bin/api,postgres=chatforge_bench,redis=redis-server)`

func runHTTP(ctx context.Context, args []string) error {
	fs := newFlags("http")
	var c httpload.Config
	fs.StringVar(&c.Base, "base", env("LOAD_API", "http://127.0.0.1:8080"), "the api's base URL")
	fs.StringVar(&c.Endpoint, "endpoint", httpload.Cheap, "cheap, profile, history, post, upload or upload-image")
	fs.IntVar(&c.Concurrency, "c", 64, "concurrent requests (keep-alive connections)")
	fs.DurationVar(&c.Duration, "duration", 20*time.Second, "measured time")
	fs.DurationVar(&c.Warmup, "warmup", 3*time.Second, "unmeasured time first")
	fs.IntVar(&c.Users, "users", 0, "rotate over this many users (0: every eligible seeded user)")
	fs.IntVar(&c.PageSize, "page", 50, "history page size")
	fs.IntVar(&c.UploadBytes, "upload-bytes", 64<<10, "upload: the file's size in bytes")
	seedPath := fs.String("seed", ".dev/load/seed.json", "seed file written by the seed workload")
	watch := fs.String("watch", "", watchHelp)
	hopsURLs := fs.String("hops-metrics", "", "comma-separated /metrics URLs (api, gateways) whose per-hop histograms give the run's breakdown (load hops)")
	out := fs.String("out", "", "write the JSON result here (default stdout)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := loopbackOnly(c.Base); err != nil {
		return err
	}
	s, err := seed.Read(*seedPath)
	if err != nil {
		return err
	}
	c.RunID = "h" + strconv.FormatInt(time.Now().Unix(), 36)
	fmt.Fprintf(os.Stderr, "http %s: %d concurrent for %s (after %s warm-up)\n", c.Endpoint, c.Concurrency, c.Duration, c.Warmup)
	urls := splitList(*hopsURLs)
	if err := loopbackOnly(urls...); err != nil {
		return err
	}
	hw := hops.Start(ctx, urls)
	r, err := httpload.Run(ctx, c, s, procstat.ParseGroups(*watch))
	if err != nil && r == nil {
		return err
	}
	r.Hops = hw.Rows(ctx)
	fmt.Fprintf(os.Stderr, "http %s: %.0f req/s (%.0f ok/s), %d failed %v %v, latency %v\n", c.Endpoint, r.ReqPerSec, r.OKPerSec,
		r.Failed, r.Statuses, r.Errors, r.Latency)
	if werr := writeJSON(*out, r); werr != nil {
		return werr
	}
	return err
}
