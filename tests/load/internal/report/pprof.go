package report

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/pprof/profile"
)

// Profile summarizes one CPU profile that bench.sh took of a binary during
// the measured phase of a workload (profiles/<workload>-<binary>.pprof in
// the run directory): how much CPU it sampled and where that CPU went.
type Profile struct {
	Workload  string    `json:"workload"` // http-cheap, ..., connections, rooms, broadcast
	Binary    string    `json:"binary"`   // api, gateway0
	File      string    `json:"file"`
	Error     string    `json:"error,omitempty"` // the profile could not be read; nothing else is set
	Start     time.Time `json:"start,omitzero"`
	WindowSec float64   `json:"windowSec,omitempty"`
	CPUSec    float64   `json:"cpuSec,omitempty"` // CPU time sampled in the window
	// Buckets are cumulative shares, in the order of the buckets table.
	Buckets []Share `json:"buckets,omitempty"`
	// Top are the functions with the most flat (self) CPU.
	Top []FuncCPU `json:"top,omitempty"`
}

// Share is the CPU of the samples a bucket matched.
type Share struct {
	Name string  `json:"name"`
	Sec  float64 `json:"sec"`
	Pct  float64 `json:"pct"` // of the profile's sampled CPU
}

// FuncCPU is one function's flat (its own code) and cumulative (its own
// and its callees') CPU.
type FuncCPU struct {
	Name    string  `json:"name"`
	FlatSec float64 `json:"flatSec"`
	FlatPct float64 `json:"flatPct"`
	CumPct  float64 `json:"cumPct"`
}

// topN is how many functions a summary keeps.
const topN = 8

// cpuBucket names a cost that explains a binary's CPU. A sample counts in
// a bucket when its stack (leaf first, inlined frames included) matches,
// so buckets are cumulative and overlap: a write syscall made by the
// Redis client counts in both. The three syscall buckets split the samples
// whose leaf is a system call (kernel time is charged to that frame) by
// the file operation above it; the others are by package or function.
type cpuBucket struct {
	name, what string
	match      func(stack []string) bool
}

var cpuBuckets = []cpuBucket{
	{"write syscalls", "leaf is a system call under internal/poll.(*FD).Write* (sockets: HTTP responses, websocket frames, Redis and PostgreSQL requests)",
		func(s []string) bool { return syscallLeaf(s) && hasPrefix(s, "internal/poll.(*FD).Write") }},
	{"read syscalls", "leaf is a system call under internal/poll.(*FD).Read*",
		func(s []string) bool { return syscallLeaf(s) && hasPrefix(s, "internal/poll.(*FD).Read") }},
	{"other syscalls", "any other system call: epoll, futex (thread wake-ups), accept, madvise, ...",
		func(s []string) bool {
			return syscallLeaf(s) && !hasPrefix(s, "internal/poll.(*FD).Write") && !hasPrefix(s, "internal/poll.(*FD).Read")
		}},
	{"GC and allocation", "runtime.mallocgc (allocation and its GC assists), runtime.gcBgMarkWorker, runtime.bgsweep, runtime.bgscavenge",
		func(s []string) bool {
			return hasName(s, "runtime.mallocgc", "runtime.gcBgMarkWorker", "runtime.bgsweep", "runtime.bgscavenge")
		}},
	{"scheduler", "runtime.schedule: finding the next goroutine, idle spinning, netpoll",
		func(s []string) bool { return hasName(s, "runtime.schedule") }},
	{"JSON", "encoding/json", func(s []string) bool { return hasPrefix(s, "encoding/json.") }},
	{"database client", "github.com/jackc/pgx, database/sql, gorm.io",
		func(s []string) bool { return hasPrefix(s, "github.com/jackc/pgx", "database/sql.", "gorm.io/") }},
	{"Redis client", "github.com/redis/go-redis", func(s []string) bool { return hasPrefix(s, "github.com/redis/go-redis/") }},
	{"websocket writes", "github.com/olahol/melody.(*Session).writePump: a socket's writer goroutine, framing and writing",
		func(s []string) bool { return hasName(s, "github.com/olahol/melody.(*Session).writePump") }},
}

// runtimeSyscalls are the runtime's own system calls, made from assembly
// rather than through a Syscall function.
var runtimeSyscalls = []string{"runtime.futex", "runtime.usleep", "runtime.osyield", "runtime.madvise", "runtime.mmap",
	"runtime.munmap", "runtime.write1", "runtime.read", "runtime.nanosleep", "runtime.tgkill", "runtime.epollwait"}

func syscallLeaf(s []string) bool {
	return len(s) > 0 && (strings.Contains(s[0], "Syscall") || slices.Contains(runtimeSyscalls, s[0]))
}

func hasName(s []string, names ...string) bool {
	return slices.ContainsFunc(s, func(f string) bool { return slices.Contains(names, f) })
}

func hasPrefix(s []string, prefixes ...string) bool {
	return slices.ContainsFunc(s, func(f string) bool {
		return slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(f, p) })
	})
}

// Summarize reads a CPU profile (the gzipped protobuf that
// /debug/pprof/profile serves) and sums it up; Go embeds function names
// in it, so no binary is needed.
func Summarize(r io.Reader) (Profile, error) {
	p, err := profile.Parse(r)
	if err != nil {
		return Profile{}, err
	}
	vi := slices.IndexFunc(p.SampleType, func(t *profile.ValueType) bool { return t.Type == "cpu" && t.Unit == "nanoseconds" })
	if vi < 0 {
		return Profile{}, errors.New("not a CPU profile (no cpu/nanoseconds samples)")
	}
	var total int64
	flat, cum := map[string]int64{}, map[string]int64{}
	inBucket := make([]int64, len(cpuBuckets))
	var stack []string
	for _, s := range p.Sample {
		v := s.Value[vi]
		total += v
		stack = stack[:0]
		for _, loc := range s.Location {
			for _, l := range loc.Line { // innermost inlined function first
				if l.Function != nil {
					stack = append(stack, l.Function.Name)
				}
			}
		}
		if len(stack) == 0 {
			continue
		}
		flat[stack[0]] += v
		for i, f := range stack {
			if !slices.Contains(stack[:i], f) { // recursion counts once
				cum[f] += v
			}
		}
		for i, b := range cpuBuckets {
			if b.match(stack) {
				inBucket[i] += v
			}
		}
	}
	sum := Profile{WindowSec: float64(p.DurationNanos) / 1e9, CPUSec: float64(total) / 1e9}
	if p.TimeNanos != 0 {
		sum.Start = time.Unix(0, p.TimeNanos).UTC()
	}
	pct := func(v int64) float64 {
		if total == 0 {
			return 0
		}
		return 100 * float64(v) / float64(total)
	}
	for i, b := range cpuBuckets {
		sum.Buckets = append(sum.Buckets, Share{Name: b.name, Sec: float64(inBucket[i]) / 1e9, Pct: pct(inBucket[i])})
	}
	names := slices.Collect(maps.Keys(flat))
	slices.SortFunc(names, func(a, b string) int { return cmp.Or(cmp.Compare(flat[b], flat[a]), strings.Compare(a, b)) })
	for _, f := range names[:min(topN, len(names))] {
		sum.Top = append(sum.Top, FuncCPU{Name: f, FlatSec: float64(flat[f]) / 1e9, FlatPct: pct(flat[f]), CumPct: pct(cum[f])})
	}
	return sum, nil
}

// loadProfiles summarizes dir/*.pprof; a run without profiles has none,
// and a profile that cannot be read says so instead of failing the report.
func loadProfiles(dir string) ([]Profile, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.pprof"))
	if err != nil {
		return nil, err
	}
	var out []Profile
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".pprof")
		workload, binary := name, ""
		if i := strings.LastIndex(name, "-"); i > 0 {
			workload, binary = name[:i], name[i+1:]
		}
		p, err := summarizeFile(path)
		if err != nil {
			p = Profile{Error: err.Error()}
		}
		p.Workload, p.Binary, p.File = workload, binary, filepath.Base(path)
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Profile) int {
		return cmp.Or(cmp.Compare(workloadRank(a.Workload), workloadRank(b.Workload)), strings.Compare(a.Workload, b.Workload),
			strings.Compare(a.Binary, b.Binary))
	})
	return out, nil
}

func summarizeFile(path string) (Profile, error) {
	f, err := os.Open(path)
	if err != nil {
		return Profile{}, err
	}
	defer f.Close()
	return Summarize(f)
}

// profiledWorkloads is the report order; others follow by name.
var profiledWorkloads = []string{"http-cheap", "http-profile", "http-history", "http-post", "http-upload", "http-upload-image", "connections", "rooms", "broadcast"}

func workloadRank(w string) int {
	if i := slices.Index(profiledWorkloads, w); i >= 0 {
		return i
	}
	return len(profiledWorkloads)
}

// profilesOf are the readable profiles of a workload.
func (r *Report) profilesOf(workload string) []Profile {
	var out []Profile
	for _, p := range r.Profiles {
		if p.Workload == workload && p.Error == "" && p.CPUSec > 0 {
			out = append(out, p)
		}
	}
	return out
}

// profileClause says, for each profiled binary of a workload, the two
// biggest buckets of its sampled CPU: figures from the profile, for the
// "what bounds it" column. A binary that barely ran (under clauseCores)
// is left to the profile section: its shares bound nothing.
func profileClause(ps []Profile) string {
	const clauseCores = 0.05
	var parts []string
	for _, p := range ps {
		if p.WindowSec > 0 && p.CPUSec/p.WindowSec < clauseCores {
			continue
		}
		bs := slices.Clone(p.Buckets)
		slices.SortStableFunc(bs, func(a, b Share) int { return cmp.Compare(b.Pct, a.Pct) })
		var top []string
		for _, b := range bs[:min(2, len(bs))] {
			if b.Pct >= 1 {
				top = append(top, fmt.Sprintf("%.0f%% in %s", b.Pct, b.Name))
			}
		}
		if len(top) == 0 {
			continue
		}
		who := p.Binary
		if p.WindowSec > 0 {
			who += fmt.Sprintf(" (%.2f cores sampled)", p.CPUSec/p.WindowSec)
		}
		parts = append(parts, who+": "+strings.Join(top, ", "))
	}
	if len(parts) == 0 {
		return ""
	}
	return "pprof: " + strings.Join(parts, "; ")
}

// profileSection writes where the CPU of each profiled binary went.
func profileSection(p func(string, ...any), ps []Profile) {
	if len(ps) == 0 {
		return
	}
	p("## Where the CPU went (pprof)\n\n")
	p("CPU profiles of the binaries (sampled at 100 Hz) inside the measured phase of each workload: after the warm-up of each http endpoint, ")
	p("during the connect of connections, during the first step (1 msg/s per client) of rooms and during the broadcast step. ")
	p("Shares are of the binary's own sampled CPU; flat is a function's own code, cum adds what it calls. ")
	p("The buckets are cumulative and overlap (a write syscall made by the Redis client counts in both; see the list below). ")
	p("Raw profiles: profiles/ in the run directory (`go tool pprof -top FILE`).\n\n")
	last := ""
	for _, pr := range ps {
		if pr.Workload != last {
			p("### %s\n\n", pr.Workload)
			last = pr.Workload
		}
		if pr.Error != "" {
			p("**%s**: profile %s unreadable (%s).\n\n", pr.Binary, pr.File, cell(pr.Error))
			continue
		}
		cores := 0.0
		if pr.WindowSec > 0 {
			cores = pr.CPUSec / pr.WindowSec
		}
		var shares []string
		for _, b := range pr.Buckets {
			if b.Pct >= 1 {
				shares = append(shares, fmt.Sprintf("%s %.0f%%", b.Name, b.Pct))
			}
		}
		if len(shares) == 0 {
			shares = append(shares, "none over 1%")
		}
		p("**%s**: %.2f s of CPU sampled in %.1f s (%.2f cores). Buckets: %s.\n\n", pr.Binary, pr.CPUSec, pr.WindowSec, cores,
			strings.Join(shares, ", "))
		if len(pr.Top) == 0 {
			continue
		}
		p("| function | flat (s) | flat %% | cum %% |\n|---|---|---|---|\n")
		for _, f := range pr.Top {
			p("| %s | %.2f | %.1f | %.1f |\n", cell(f.Name), f.FlatSec, f.FlatPct, f.CumPct)
		}
		p("\n")
	}
	p("Buckets:\n\n")
	for _, b := range cpuBuckets {
		p("- %s: %s\n", b.name, b.what)
	}
	p("\n")
}
