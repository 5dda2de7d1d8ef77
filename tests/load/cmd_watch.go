package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/chatforge/chat/tests/load/internal/sustain"
)

// runWatch samples the stack until interrupted (the sustained run stops
// it when the traffic ends) or -duration passes, then writes the samples
// and the verdict.
func runWatch(ctx context.Context, args []string) error {
	fs := newFlags("watch")
	var cfg sustain.Config
	metrics := fs.String("metrics", "", "name=URL,... of the binaries' /metrics pages")
	fs.StringVar(&cfg.RedisURL, "redis-url", env("REDIS_URL", ""), "Redis of the stack (command stream backlog)")
	fs.StringVar(&cfg.DatabaseURL, "database-url", env("DATABASE_URL", ""), "database of the stack (outbox backlog)")
	fs.StringVar(&cfg.CommandStream, "command-stream", "chat:commands", "the api's command stream")
	fs.StringVar(&cfg.CommandGroup, "command-group", "api", "the api's consumer group on it")
	fs.DurationVar(&cfg.Interval, "interval", 0, "time between samples (default 10s)")
	duration := fs.Duration("duration", 0, "stop after this long (0: when interrupted)")
	out := fs.String("out", "", "write the JSON result here (default stdout)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg.Metrics = map[string]string{}
	for _, item := range splitList(*metrics) {
		name, url, ok := strings.Cut(item, "=")
		if !ok {
			return fmt.Errorf("-metrics: %q is not name=URL", item)
		}
		cfg.Metrics[name] = url
	}
	if len(cfg.Metrics) == 0 {
		return errors.New("-metrics: name at least one /metrics page")
	}
	urls := make([]string, 0, len(cfg.Metrics))
	for _, u := range cfg.Metrics {
		urls = append(urls, u)
	}
	if err := loopbackOnly(urls...); err != nil {
		return err
	}
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	res := sustain.Watch(ctx, cfg)
	fmt.Fprintf(os.Stderr, "watch: %d samples; flat=%v %s\n", len(res.Samples), res.Verdict.Flat, res.Verdict.Why)
	return writeJSON(*out, res)
}
