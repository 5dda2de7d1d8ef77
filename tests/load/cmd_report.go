package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/chatforge/chat/tests/load/internal/report"
)

// runReport merges the workload results of a run directory into the
// published report.
func runReport(ctx context.Context, args []string) error {
	fs := newFlags("report")
	in := fs.String("in", "", "directory holding the run's workload JSON files (settings.json, http-*.json, ...)")
	out := fs.String("out", "tests/load/reports", "where to write <date>.json, <date>.md and latest.md")
	name := fs.String("name", time.Now().UTC().Format("2006-01-02T1504Z"), "report file name (without extension)")
	dsn := fs.String("database-url", os.Getenv("DATABASE_URL"), "PostgreSQL, for its version")
	redisURL := fs.String("redis-url", os.Getenv("REDIS_URL"), "Redis, for its version")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" {
		return fmt.Errorf("-in is required")
	}
	r, err := report.Load(*in)
	if err != nil {
		return err
	}
	r.Date = strings.Replace(*name, "T", " ", 1)
	r.Machine = report.Probe(ctx, *dsn, *redisURL)
	r.Evaluate()
	if err := r.Write(*out, *name); err != nil {
		return err
	}
	for _, t := range r.Targets {
		fmt.Fprintf(os.Stderr, "%-55s %-8s %s %s\n", t.Name, t.Status, t.Measured, t.Gap)
	}
	fmt.Fprintf(os.Stderr, "report: %s\n", filepath.Join(*out, *name+".md"))
	return nil
}
