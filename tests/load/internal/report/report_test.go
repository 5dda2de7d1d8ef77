package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chatforge/chat/tests/load/internal/hist"
	"github.com/chatforge/chat/tests/load/internal/httpload"
	"github.com/chatforge/chat/tests/load/internal/procstat"
	"github.com/chatforge/chat/tests/load/internal/scenario"
)

func TestLoadEvaluateWrite(t *testing.T) {
	t.Parallel()
	in, out := t.TempDir(), t.TempDir()
	write := func(name string, v any) {
		b, _ := json.Marshal(v)
		if err := os.WriteFile(filepath.Join(in, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cpu := procstat.CPUReport{WindowSec: 10, Cores: 2, MachineBusy: 1.96,
		Groups: map[string]procstat.Usage{"api": {Cores: 1.1}, "postgres": {Cores: 0.6}, "load": {Cores: 0.2}}}
	write("settings.json", map[string]string{"commit": "abc"})
	write("http-cheap.json", httpload.Result{Config: httpload.Config{Endpoint: "cheap", Concurrency: 64, Duration: time.Second},
		OKPerSec: 25000, CPU: cpu})
	write("http-profile.json", httpload.Result{Config: httpload.Config{Endpoint: "profile", Concurrency: 64, Duration: time.Second},
		OKPerSec: 9000, CPU: cpu})
	write("http-post.json", httpload.Result{OKPerSec: 1500, CPU: cpu})
	step := scenario.StepSummary{Step: scenario.Step{Rate: 1, Duration: time.Second}, Pass: true, Delivered: 10, Expected: 10,
		DeliveryRatio: 1, E2E: hist.Summary{P99: 25}, CPU: cpu}
	write("rooms.json", scenario.Report{Setup: scenario.SetupSummary{Clients: 2000}, Steps: []scenario.StepSummary{step}})

	r, err := Load(in)
	if err != nil {
		t.Fatal(err)
	}
	r.Date = "today"
	r.Evaluate()
	got := map[string]string{}
	for _, tg := range r.Targets {
		got[tg.Name] = tg.Status
	}
	if got["http: cheap endpoint (GET /api/push/vapid-public-key)"] != "met" || got["http: cheap endpoint (GET /api/user/profile)"] != "" || got["http: stored messages (POST /api/chat/messages)"] != "missed" ||
		got["http: history pages (GET /api/chat/messages)"] != "not run" || got["connections"] != "not run" ||
		got["rooms: 2,000 clients in 200 rooms of 10, 1 msg/s each"] != "missed" {
		t.Errorf("statuses = %v", got)
	}
	if b := BoundBy(cpu); !strings.HasPrefix(b, "CPU: the machine's 2 cores were 98% busy (cores used: api 1.10, postgres 0.60, load 0.20") {
		t.Errorf("BoundBy = %q", b)
	}
	if err := r.Write(out, "run"); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(out, "latest.md"))
	if err != nil || !strings.Contains(string(md), "short by 50% (1,500 of 3,000)") || !strings.Contains(string(md), "p99 25.0 ms is 1.2x the goal") ||
		strings.Contains(string(md), "Where the CPU went") || strings.Contains(string(md), "pprof:") { // a run without profiles
		t.Errorf("markdown:\n%s", md)
	}
}
