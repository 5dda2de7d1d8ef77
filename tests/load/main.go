// Command load is chatforge's load tool: it seeds users, rooms and tokens
// in bulk, drives REST and socket workloads against a running stack, and
// writes benchmark reports. See tests/load/README.md; scripts/bench.sh
// runs the standard suite.
//
//	go run ./tests/load seed        -users 100000 ...
//	go run ./tests/load http        -endpoint profile|history|post ...
//	go run ./tests/load connections -gateways http://127.0.0.1:8081 -clients 100000 ...
//	go run ./tests/load rooms       -clients 2000 -rate 1 ...
//	go run ./tests/load broadcast   -clients 5000 -senders 10 -rate 1 ...
//	go run ./tests/load watch       -metrics api=http://127.0.0.1:8080/metrics ...
//	go run ./tests/load report      -in DIR -out tests/load/reports
//
// Every workload is bounded by -duration and writes JSON (to -out or
// stdout); progress goes to stderr. Load is only sent to 127.0.0.0/8.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/chatforge/chat/tests/load/internal/fleet"
	"github.com/chatforge/chat/tests/load/internal/scenario"
)

const usage = `usage: load <workload> [flags]   (load <workload> -h for its flags)
  seed          bulk-insert users, sessions, rooms, memberships, history; mint tokens
  http          REST load: -endpoint profile | history | post
  connections   open and hold N sockets; connect rate, memory per connection
  rooms         clients in small rooms sending at a fixed rate; latency, delivery
  broadcast     one big room, a few senders; latency, first and last copy
  watch         sample memory, stream lag and backlogs during a long run
  hops          per-hop latency breakdown (p50, p99) from /metrics over a run
  report        merge workload JSON files into a JSON + Markdown report
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// LOAD_CPUPROFILE profiles the load tool itself: on a shared machine
	// its CPU is taken from the servers, so it must stay lean. "{workload}"
	// in the path is replaced by the workload's name (one file each when
	// a script runs several).
	if path := os.Getenv("LOAD_CPUPROFILE"); path != "" && len(os.Args) > 1 && os.Args[1] != "shard" {
		if f, err := os.Create(strings.ReplaceAll(path, "{workload}", os.Args[1])); err == nil {
			_ = pprof.StartCPUProfile(f)
			defer func() { pprof.StopCPUProfile(); f.Close() }()
		}
	}
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "seed":
		return runSeed(ctx, args)
	case "http":
		return runHTTP(ctx, args)
	case scenario.Connections, scenario.Rooms, scenario.Broadcast:
		return runSockets(ctx, cmd, args)
	case "watch":
		return runWatch(ctx, args)
	case "hops":
		return runHops(ctx, args)
	case "report":
		return runReport(ctx, args)
	case "shard": // a child process of a socket workload (not for humans)
		return scenario.ChildMain(ctx, fleet.Stdio())
	case "help", "-h", "-help", "--help":
		fmt.Print(usage)
		return nil
	}
	return fmt.Errorf("unknown workload %q\n%s", cmd, usage)
}

// newFlags is a flag set that prints its usage on -h and returns errors.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: load %s [flags]\n", name)
		fs.PrintDefaults()
	}
	return fs
}

// env returns the variable or def.
func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// writeJSON writes v to path (creating its folder), or to stdout for "".
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if path == "" || path == "-" {
		_, err = os.Stdout.Write(b)
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// loopbackOnly refuses to send load anywhere but this machine.
func loopbackOnly(rawURLs ...string) error {
	for _, raw := range rawURLs {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			return fmt.Errorf("%q is not an absolute URL", raw)
		}
		h := u.Hostname()
		if h == "localhost" {
			continue
		}
		if ip := net.ParseIP(h); ip == nil || !ip.IsLoopback() {
			return fmt.Errorf("%s: load goes only to 127.0.0.0/8 or ::1", raw)
		}
	}
	return nil
}

// splitList splits a comma-separated flag, dropping empty items.
func splitList(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
