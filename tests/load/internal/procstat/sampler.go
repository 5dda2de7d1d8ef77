package procstat

import (
	"os"
	"strings"
	"sync"
	"time"
)

// Group names a set of processes: fixed pids, or every process whose
// command line contains Pattern when the group is sampled. ReapedBy, when
// set, names parent processes (by command line) whose exited children count
// too: PostgreSQL backends of a churning connection pool may live less than
// a sampling interval, and only the postmaster's cutime keeps their CPU
// (of every database, since it cannot tell them apart).
type Group struct {
	Name     string
	Pattern  string
	Pids     []int
	ReapedBy string
}

// ParseGroups reads "name=pattern,name=pattern@parent"; a pattern of digits
// separated by '+' is a list of pids ("gateway=123+456"); "@parent" adds
// the exited children of the processes matching parent.
func ParseGroups(s string) []Group {
	var gs []Group
	for item := range strings.SplitSeq(s, ",") {
		name, pat, ok := strings.Cut(strings.TrimSpace(item), "=")
		pat, parent, _ := strings.Cut(pat, "@")
		if !ok || name == "" || pat == "" {
			continue
		}
		g := Group{Name: name, Pattern: pat, ReapedBy: parent}
		if pids, ok := parsePids(pat); ok {
			g = Group{Name: name, Pids: pids, ReapedBy: parent}
		}
		gs = append(gs, g)
	}
	return gs
}

func parsePids(s string) ([]int, bool) {
	var pids []int
	for p := range strings.SplitSeq(s, "+") {
		n := 0
		for _, c := range p {
			if c < '0' || c > '9' {
				return nil, false
			}
			n = n*10 + int(c-'0')
		}
		if p == "" {
			return nil, false
		}
		pids = append(pids, n)
	}
	return pids, true
}

// Usage is what a group used during a window.
type Usage struct {
	Cores    float64 `json:"cpuCores"` // CPU seconds per second: 1.0 is one core busy
	CPUSec   float64 `json:"cpuSeconds"`
	RSSBytes int64   `json:"rssBytes"` // the highest sum seen
	Procs    int     `json:"procs"`    // processes seen
}

// CPUReport is the CPU of each group over a window, plus the machine's.
type CPUReport struct {
	WindowSec   float64          `json:"windowSec"`
	Groups      map[string]Usage `json:"groups"`
	MachineBusy float64          `json:"machineBusyCores"` // all processes, ours or not
	Cores       int              `json:"machineCores"`
}

// Monitor samples groups until Stop. Sampling, rather than comparing two
// snapshots, keeps the CPU of short-lived processes: a database pool that
// closes and reopens connections runs its queries in backends that come
// and go within the window.
type Monitor struct {
	groups []Group
	start  time.Time
	boot   int64 // uptime at start, ticks
	busy0  int64
	total0 int64
	stop   chan struct{}
	done   chan struct{}

	mu   sync.Mutex
	base map[string]map[int]int64 // CPU when first seen (0: born in the window)
	last map[string]map[int]int64
	rss  map[string]int64
	// Exited children of ReapedBy parents, keyed by group then parent pid.
	reapBase, reapLast map[string]map[int]int64
	procs              *procCache
}

// Start begins sampling the groups every interval (250ms when 0).
func Start(groups []Group, interval time.Duration) *Monitor {
	if interval <= 0 {
		interval = 250 * time.Millisecond
	}
	m := &Monitor{groups: groups, start: time.Now(), boot: uptimeTicks(), stop: make(chan struct{}), done: make(chan struct{}),
		base: map[string]map[int]int64{}, last: map[string]map[int]int64{}, rss: map[string]int64{},
		reapBase: map[string]map[int]int64{}, reapLast: map[string]map[int]int64{}, procs: newProcCache()}
	m.busy0, m.total0, _ = SystemTicks()
	for _, g := range groups {
		m.base[g.Name], m.last[g.Name] = map[int]int64{}, map[int]int64{}
		m.reapBase[g.Name], m.reapLast[g.Name] = map[int]int64{}, map[int]int64{}
	}
	m.sample(true)
	go func() {
		defer close(m.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-m.stop:
				return
			case <-t.C:
				m.sample(false)
			}
		}
	}()
	return m
}

func (m *Monitor) sample(first bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.procs.refresh()
	for _, g := range m.groups {
		var rss int64
		pids := g.Pids
		if pids == nil {
			pids = m.procs.find(g.Pattern)
		}
		for _, pid := range pids {
			cpu, started, err := stat(pid)
			if err != nil {
				continue
			}
			if _, seen := m.base[g.Name][pid]; !seen {
				// Born during the window: all its CPU is the window's.
				// Otherwise only what it uses from now on is known.
				if !first && started >= m.boot {
					m.base[g.Name][pid] = 0
				} else {
					m.base[g.Name][pid] = cpu
				}
			}
			m.last[g.Name][pid] = cpu
			if r, err := RSS(pid); err == nil {
				rss += r
			}
		}
		m.rss[g.Name] = max(m.rss[g.Name], rss)
		if g.ReapedBy == "" {
			continue
		}
		for _, pid := range m.procs.find(g.ReapedBy) {
			if t, err := reapedTicks(pid); err == nil {
				if _, seen := m.reapBase[g.Name][pid]; !seen {
					m.reapBase[g.Name][pid] = t
				}
				m.reapLast[g.Name][pid] = t
			}
		}
	}
}

// Stop takes a last sample and reports the window.
func (m *Monitor) Stop() CPUReport {
	close(m.stop)
	<-m.done
	m.sample(false)
	wall := time.Since(m.start).Seconds()
	busy, total, _ := SystemTicks()
	r := CPUReport{WindowSec: wall, Groups: map[string]Usage{}, Cores: numCPU()}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, g := range m.groups {
		var d int64
		for pid, cpu := range m.last[g.Name] {
			d += cpu - m.base[g.Name][pid]
		}
		for pid, t := range m.reapLast[g.Name] {
			d += t - m.reapBase[g.Name][pid]
		}
		sec := float64(d) / clockTicks
		r.Groups[g.Name] = Usage{Cores: sec / wall, CPUSec: sec, RSSBytes: m.rss[g.Name], Procs: len(m.last[g.Name])}
	}
	if total > m.total0 {
		r.MachineBusy = float64(busy-m.busy0) / float64(total-m.total0) * float64(r.Cores)
	}
	return r
}

func numCPU() int {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	n := 0
	for line := range strings.SplitSeq(string(b), "\n") {
		if strings.HasPrefix(line, "cpu") && len(line) > 3 && line[3] >= '0' && line[3] <= '9' {
			n++
		}
	}
	return n
}
