package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/chatforge/chat/tests/load/internal/hops"
)

// runHops reads the per-hop histograms of the binaries' /metrics pages,
// waits for -duration (or an interrupt) while a workload runs, reads them
// again and prints where the time of what happened meanwhile went.
func runHops(ctx context.Context, args []string) error {
	fs := newFlags("hops")
	metrics := fs.String("metrics", "", "comma-separated /metrics URLs of the api(s) and gateways")
	duration := fs.Duration("duration", 0, "measure this long (0: until interrupted)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	urls := splitList(*metrics)
	for i, u := range urls {
		if _, url, ok := strings.Cut(u, "="); ok { // name=URL, as watch takes them
			urls[i] = url
		}
	}
	if len(urls) == 0 {
		return errors.New("-metrics: name at least one /metrics page")
	}
	if err := loopbackOnly(urls...); err != nil {
		return err
	}
	before, err := hops.Read(ctx, urls)
	if err != nil {
		return err
	}
	wait := ctx
	if *duration > 0 {
		var cancel context.CancelFunc
		wait, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	<-wait.Done()
	after, err := hops.Read(context.WithoutCancel(ctx), urls)
	if err != nil {
		return err
	}
	fmt.Fprint(os.Stdout, after.Since(before).Markdown())
	return nil
}
