package main

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/chatforge/chat/tests/load/internal/procstat"
	"github.com/chatforge/chat/tests/load/internal/scenario"
)

// runSockets runs connections, rooms or broadcast.
func runSockets(ctx context.Context, workload string, args []string) error {
	fs := newFlags(workload)
	cfg := scenario.Config{Workload: workload}
	var o scenario.Options
	gateways := fs.String("gateways", env("LOAD_GATEWAYS", "http://127.0.0.1:8081"),
		"comma-separated gateway base URLs (sockets at /ws, figures at /metrics); client i uses gateway i mod n")
	fs.StringVar(&cfg.SeedPath, "seed", ".dev/load/seed.json", "seed file written by the seed workload")
	defClients := map[string]int{scenario.Connections: 10000, scenario.Rooms: 2000, scenario.Broadcast: 5000}[workload]
	fs.IntVar(&cfg.Clients, "clients", defClients, "sockets in all")
	fs.IntVar(&cfg.FirstUser, "first-user", 0, "client i is seeded user first-user+i")
	fs.IntVar(&cfg.Senders, "senders", map[string]int{scenario.Broadcast: 10}[workload], "clients that send (0: all)")
	fs.IntVar(&cfg.ContentBytes, "content-bytes", 100, "message content size")
	fs.DurationVar(&cfg.Drain, "drain", 10*time.Second, "longest wait for acks and deliveries after sending")
	fs.IntVar(&cfg.SourceIPs, "source-ips", 200, "spread sockets over this many 127.0.x.y source addresses")
	fs.IntVar(&cfg.DialParallel, "dial-parallel", 32, "concurrent handshakes per load process")
	fs.BoolVar(&cfg.QueryToken, "query-token", false, "send the token as ?access_token= instead of a header")
	fs.BoolVar(&cfg.ReadTime, "read-time", false, "stamp a received frame when this tool's reader has it, not with the kernel's receive time (which leaves the tool's own scheduling out of every latency)")
	fs.BoolVar(&cfg.SocketIO, "socketio", false, "speak Socket.IO over websocket at /socket.io/ instead of /ws (the token in the CONNECT's auth)")
	fs.BoolVar(&cfg.Polling, "polling", false, "with -socketio: Engine.IO's HTTP long-polling transport instead of websocket (one pending GET per client, POSTs to send)")
	fs.BoolVar(&cfg.PollSpread, "poll-spread", false, "with -polling: each session's requests rotate over every gateway after its handshake, as behind a round-robin balancer without sticky sessions (the gateways forward)")
	fs.DurationVar(&cfg.ConnectTimeout, "connect-timeout", 5*time.Minute, "longest setup (connect and join)")
	fs.IntVar(&o.Procs, "procs", 0, "load processes (0: enough for -per-proc each; 1: this one only)")
	fs.IntVar(&o.PerProc, "per-proc", 15000, "most sockets per load process (the open-file limit is 20k)")
	duration := fs.Duration("duration", 30*time.Second, "sending (or holding) time of each step")
	rate := fs.Float64("rate", map[string]float64{scenario.Rooms: 1, scenario.Broadcast: 1}[workload], "messages/s per sender")
	kneeRates := fs.String("knee-rates", "", "after the first step, look for the knee: comma-separated rates per sender, run in order")
	kneeDuration := fs.Duration("knee-duration", 10*time.Second, "duration of each knee step")
	stopP99 := fs.Duration("stop-p99", 0, "a step fails when its e2e p99 exceeds this (0: no bound); knee steps stop at the first failure")
	watch := fs.String("watch", "", watchHelp)
	hopsAPI := fs.String("hops-metrics", "", "comma-separated /metrics URLs of the api(s): with the gateways' pages, each step gets its per-hop breakdown (load hops)")
	out := fs.String("out", "", "write the JSON report here (default stdout)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, g := range splitList(*gateways) {
		if err := loopbackOnly(g); err != nil {
			return err
		}
		u, _ := url.Parse(strings.TrimRight(g, "/"))
		o.Metrics = append(o.Metrics, u.String()+"/metrics")
		u.Scheme = map[string]string{"https": "wss"}[u.Scheme]
		if u.Scheme == "" {
			u.Scheme = "ws"
		}
		path := "/ws"
		if cfg.SocketIO {
			path = "/socket.io/"
		}
		cfg.URLs = append(cfg.URLs, u.String()+path)
	}
	steps, err := parseSteps(workload, *rate, *duration, *kneeRates, *kneeDuration)
	if err != nil {
		return err
	}
	o.Steps, o.StopP99, o.Watch = steps, *stopP99, procstat.ParseGroups(*watch)
	if *hopsAPI != "" {
		api := splitList(*hopsAPI)
		if err := loopbackOnly(api...); err != nil {
			return err
		}
		o.Hops = append(api, o.Metrics...)
	}
	cfg.RunID = strconv.FormatInt(time.Now().UnixMilli()%1e9, 36)
	rep, err := scenario.Run(ctx, cfg, o)
	if rep != nil {
		if werr := writeJSON(*out, rep); werr != nil {
			return werr
		}
	}
	return err
}

// parseSteps: the standard step (-rate for -duration; connections only
// hold), then the knee steps.
func parseSteps(workload string, rate float64, d time.Duration, knee string, kd time.Duration) ([]scenario.Step, error) {
	if d <= 0 || kd <= 0 {
		return nil, fmt.Errorf("durations must be positive")
	}
	if workload == scenario.Connections {
		return []scenario.Step{{Duration: d}}, nil
	}
	if rate <= 0 || rate > 1000 {
		return nil, fmt.Errorf("-rate: want messages per second in (0, 1000]")
	}
	steps := []scenario.Step{{Rate: rate, Duration: d}}
	for _, r := range splitList(knee) {
		v, err := strconv.ParseFloat(r, 64)
		if err != nil || v <= 0 || v > 1000 {
			return nil, fmt.Errorf("-knee-rates: %q is not a number of messages per second in (0, 1000]", r)
		}
		steps = append(steps, scenario.Step{Rate: v, Duration: kd})
	}
	return steps, nil
}
