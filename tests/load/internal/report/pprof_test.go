package report

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"

	"github.com/chatforge/chat/tests/load/internal/httpload"
	"github.com/chatforge/chat/tests/load/internal/procstat"
	"github.com/chatforge/chat/tests/load/internal/scenario"
)

// cpuProfile builds a CPU profile of 10 s whose samples are stacks (leaf
// first; a stack entry "a;b" is one location where a was inlined into b)
// with their CPU in ms.
func cpuProfile(t *testing.T, samples map[string]int64) []byte {
	t.Helper()
	p := &profile.Profile{
		SampleType:    []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		PeriodType:    &profile.ValueType{Type: "cpu", Unit: "nanoseconds"},
		Period:        10_000_000,
		TimeNanos:     time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC).UnixNano(),
		DurationNanos: 10e9,
	}
	funcs := map[string]*profile.Function{}
	fn := func(name string) *profile.Function {
		if f := funcs[name]; f != nil {
			return f
		}
		f := &profile.Function{ID: uint64(len(funcs) + 1), Name: name, SystemName: name}
		funcs[name] = f
		p.Function = append(p.Function, f)
		return f
	}
	for stack, ms := range samples {
		s := &profile.Sample{Value: []int64{ms / 10, ms * 1e6}}
		for frame := range strings.SplitSeq(stack, " <- ") {
			loc := &profile.Location{ID: uint64(len(p.Location) + 1), Address: uint64(0x1000 + len(p.Location))}
			for name := range strings.SplitSeq(frame, ";") {
				loc.Line = append(loc.Line, profile.Line{Function: fn(name), Line: 1})
			}
			p.Location = append(p.Location, loc)
			s.Location = append(s.Location, loc)
		}
		p.Sample = append(p.Sample, s)
	}
	var b bytes.Buffer
	if err := p.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// samples covers each bucket; 1 s in all.
var samples = map[string]int64{
	// a websocket frame written (the write inlined into FD.Write)
	"internal/runtime/syscall/linux.Syscall6 <- syscall.RawSyscall6 <- syscall.write;internal/poll.(*FD).Write <- " +
		"github.com/olahol/melody.(*Session).writePump": 300,
	// a Redis reply read
	"internal/runtime/syscall/linux.Syscall6 <- internal/poll.(*FD).Read <- github.com/redis/go-redis/v9.(*baseClient).process": 100,
	// an idle thread put to sleep
	"runtime.futex <- runtime.futexsleep <- runtime.schedule": 200,
	// rows turned into JSON, allocating (the leaf inlined into mallocgc), by a recursive encoder
	"runtime.nextFreeFast;runtime.mallocgc <- encoding/json.(*encodeState).reflectValue <- " +
		"encoding/json.(*encodeState).reflectValue <- gorm.io/gorm.(*DB).Scan": 300,
	"encoding/json.(*encodeState).reflectValue <- encoding/json.(*encodeState).reflectValue <- gorm.io/gorm.(*DB).Scan": 100,
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	p, err := Summarize(bytes.NewReader(cpuProfile(t, samples)))
	if err != nil {
		t.Fatal(err)
	}
	if p.CPUSec != 1 || p.WindowSec != 10 || !p.Start.Equal(time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC)) {
		t.Errorf("cpu %v s in %v s from %v", p.CPUSec, p.WindowSec, p.Start)
	}
	want := map[string]float64{"write syscalls": 30, "read syscalls": 10, "other syscalls": 20, "GC and allocation": 30,
		"scheduler": 20, "JSON": 40, "database client": 40, "Redis client": 10, "websocket writes": 30}
	if len(p.Buckets) != len(want) {
		t.Errorf("buckets = %+v", p.Buckets)
	}
	for _, b := range p.Buckets {
		if math.Abs(b.Pct-want[b.Name]) > 1e-9 || math.Abs(b.Sec-want[b.Name]/100) > 1e-9 {
			t.Errorf("bucket %s = %.2f%% (%.3f s), want %.0f%%", b.Name, b.Pct, b.Sec, want[b.Name])
		}
	}
	top := []FuncCPU{
		{Name: "internal/runtime/syscall/linux.Syscall6", FlatSec: 0.4, FlatPct: 40, CumPct: 40},
		{Name: "runtime.nextFreeFast", FlatSec: 0.3, FlatPct: 30, CumPct: 30},
		{Name: "runtime.futex", FlatSec: 0.2, FlatPct: 20, CumPct: 20},
		{Name: "encoding/json.(*encodeState).reflectValue", FlatSec: 0.1, FlatPct: 10, CumPct: 40}, // recursion counted once
	}
	if len(p.Top) != len(top) {
		t.Fatalf("top = %+v", p.Top)
	}
	for i, f := range top {
		g := p.Top[i]
		if g.Name != f.Name || math.Abs(g.FlatSec-f.FlatSec) > 1e-9 || math.Abs(g.FlatPct-f.FlatPct) > 1e-9 || math.Abs(g.CumPct-f.CumPct) > 1e-9 {
			t.Errorf("top[%d] = %+v, want %+v", i, g, f)
		}
	}
}

// TestSummarizeRealProfile reads a profile of gateway0 from a bench run
// (the rooms step at 1 msg/s per client), as /debug/pprof/profile serves it.
func TestSummarizeRealProfile(t *testing.T) {
	t.Parallel()
	f, err := os.Open("testdata/rooms-gateway0.pprof")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := Summarize(f)
	if err != nil {
		t.Fatal(err)
	}
	if p.CPUSec <= 0 || p.WindowSec < 5 || len(p.Top) != topN {
		t.Fatalf("summary = %+v", p)
	}
	var sum float64
	for _, f := range p.Top {
		sum += f.FlatPct
		if f.CumPct < f.FlatPct || f.FlatSec <= 0 {
			t.Errorf("function %+v", f)
		}
	}
	if sum > 100+1e-9 {
		t.Errorf("top flat adds up to %.1f%%", sum)
	}
	share := map[string]float64{}
	for _, b := range p.Buckets {
		share[b.Name] = b.Pct
	}
	// The gateway's CPU goes to delivering frames: its writer goroutines
	// and the write syscalls under them.
	if share["websocket writes"] < 10 || share["write syscalls"] < 10 || share["database client"] != 0 {
		t.Errorf("buckets = %+v", p.Buckets)
	}
}

func TestSummarizeRejects(t *testing.T) {
	t.Parallel()
	if _, err := Summarize(strings.NewReader("not a profile")); err == nil {
		t.Error("garbage read as a profile")
	}
	heap := &profile.Profile{SampleType: []*profile.ValueType{{Type: "alloc_space", Unit: "bytes"}}}
	var b bytes.Buffer
	if err := heap.Write(&b); err != nil {
		t.Fatal(err)
	}
	if _, err := Summarize(&b); err == nil || !strings.Contains(err.Error(), "not a CPU profile") {
		t.Errorf("heap profile: %v", err)
	}
}

// TestProfilesInReport: a missed target names where its workload's CPU
// went, the section shows each profile, and an unreadable profile is said
// without failing the report.
func TestProfilesInReport(t *testing.T) {
	t.Parallel()
	in, out := t.TempDir(), t.TempDir()
	write := func(name string, b []byte) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(in, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(in, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	js := func(v any) []byte { b, _ := json.Marshal(v); return b }
	cpu := procstat.CPUReport{WindowSec: 10, Cores: 2, MachineBusy: 1, Groups: map[string]procstat.Usage{"api": {Cores: 0.5}}}
	write("http-cheap.json", js(httpload.Result{OKPerSec: 25000, CPU: cpu}))
	write("http-post.json", js(httpload.Result{OKPerSec: 1500, CPU: cpu}))
	write("http-history.json", js(httpload.Result{OKPerSec: 100, CPU: cpu}))
	write("rooms.json", js(scenario.Report{Steps: []scenario.StepSummary{{Step: scenario.Step{Rate: 1}, Pass: true, DeliveryRatio: 1,
		CPU: cpu}}}))
	write("profiles/http-cheap-api.pprof", cpuProfile(t, samples))
	write("profiles/http-post-api.pprof", cpuProfile(t, samples))
	write("profiles/http-history-api.pprof", cpuProfile(t, map[string]int64{"runtime.futex": 100})) // 0.01 cores: no clause
	write("profiles/rooms-gateway0.pprof", []byte("truncated"))

	r, err := Load(in)
	if err != nil {
		t.Fatal(err)
	}
	r.Evaluate()
	if err := r.Write(out, "run"); err != nil {
		t.Fatal(err)
	}
	var got Report
	b, err := os.ReadFile(filepath.Join(out, "run.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Profiles) != 4 || got.Profiles[0].Workload != "http-cheap" || got.Profiles[1].Workload != "http-history" ||
		got.Profiles[2].Workload != "http-post" || got.Profiles[3].Binary != "gateway0" || got.Profiles[3].Error == "" ||
		got.Profiles[2].CPUSec != 1 {
		t.Errorf("profiles = %+v", got.Profiles)
	}
	const clause = "pprof: api (0.10 cores sampled): 40% in JSON, 40% in database client"
	for _, tg := range got.Targets {
		switch {
		case strings.HasPrefix(tg.Name, "http: stored"):
			if tg.Status != "missed" || tg.Profile != clause {
				t.Errorf("post target: %+v", tg)
			}
		case tg.Profile != "": // met (cheap), an idle binary (history), or no readable profile (rooms)
			t.Errorf("%s: profile %q", tg.Name, tg.Profile)
		}
	}
	md, err := os.ReadFile(filepath.Join(out, "run.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"; " + clause + " |",
		"## Where the CPU went (pprof)",
		"### http-post\n\n**api**: 1.00 s of CPU sampled in 10.0 s (0.10 cores). Buckets: write syscalls 30%, read syscalls 10%, " +
			"other syscalls 20%, GC and allocation 30%, scheduler 20%, JSON 40%, database client 40%, Redis client 10%, websocket writes 30%.",
		"| function | flat (s) | flat % | cum % |\n|---|---|---|---|\n| internal/runtime/syscall/linux.Syscall6 | 0.40 | 40.0 | 40.0 |\n",
		"### rooms\n\n**gateway0**: profile rooms-gateway0.pprof unreadable (",
		"- websocket writes: github.com/olahol/melody.(*Session).writePump",
	} {
		if !strings.Contains(string(md), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

// TestOlderReportsRender: every published report still renders, the
// ones from runs without profiles without the profile section.
func TestOlderReportsRender(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../../reports/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no published reports: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var r Report
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		var md strings.Builder
		r.Markdown(&md, filepath.Base(f))
		// Reports from before profiles have no pprof section; later ones do.
		if !strings.Contains(md.String(), "## Targets") || strings.Contains(md.String(), "Where the CPU went") != (len(r.Profiles) > 0) {
			t.Errorf("%s (%d profiles) renders:\n%s", f, len(r.Profiles), md.String())
		}
	}
}
