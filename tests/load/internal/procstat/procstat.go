// Package procstat measures the processes under load: CPU time and resident
// memory from /proc (Linux only), and the figures a process publishes about
// itself on its Prometheus /metrics page. Processes are named by groups of
// pids, or found by a substring of their command line (PostgreSQL runs one
// process per connection, so "postgres" is many pids).
package procstat

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times. It is 100 on
// every Linux architecture Go supports (the kernel fixes it for the ABI).
const clockTicks = 100

// CPUTicks returns the user+system CPU time of pid, in clock ticks.
func CPUTicks(pid int) (int64, error) {
	t, _, err := stat(pid)
	return t, err
}

// stat returns pid's CPU time and its start time (ticks since boot).
func stat(pid int) (cpu, started int64, err error) {
	f, err := statFields(pid)
	if err != nil {
		return 0, 0, err
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	st, err3 := strconv.ParseInt(f[19], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return 0, 0, fmt.Errorf("procstat: bad times in /proc/%d/stat", pid)
	}
	return u + s, st, nil
}

// reapedTicks returns the CPU time of pid's children that exited and were
// waited for (cutime + cstime).
func reapedTicks(pid int) (int64, error) {
	f, err := statFields(pid)
	if err != nil {
		return 0, err
	}
	u, err1 := strconv.ParseInt(f[13], 10, 64)
	s, err2 := strconv.ParseInt(f[14], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("procstat: bad child times in /proc/%d/stat", pid)
	}
	return u + s, nil
}

// statFields returns the fields of /proc/<pid>/stat after the command
// name: f[0] is field 3 (state), so field n is f[n-3].
func statFields(pid int) ([]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, err
	}
	// The command name (field 2) may hold spaces and parentheses: fields
	// are counted from the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, fmt.Errorf("procstat: malformed /proc/%d/stat", pid)
	}
	// utime is field 14, stime 15, cutime 16, cstime 17, starttime 22.
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return nil, fmt.Errorf("procstat: short /proc/%d/stat", pid)
	}
	return f, nil
}

// uptimeTicks is the time since boot, in clock ticks.
func uptimeTicks() int64 {
	b, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	sec, _ := strconv.ParseFloat(f[0], 64)
	return int64(sec * clockTicks)
}

// RSS returns the resident set size of pid in bytes (VmRSS).
func RSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest) // "12345 kB"
			if len(f) == 2 {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				return kb * 1024, err
			}
		}
	}
	return 0, fmt.Errorf("procstat: no VmRSS for pid %d", pid)
}

// Find returns the pids whose command line contains pattern, except this
// process. An empty pattern finds nothing.
func Find(pattern string) []int {
	c := newProcCache()
	c.refresh()
	return c.find(pattern)
}

// procCache knows the command line of every process, reading a process's
// only when it is new (or its entry is older than cmdlineTTL, in case the
// pid was reused): scanning every /proc/<pid>/cmdline four times a second
// would cost the load tool more CPU than the requests it sends.
type procCache struct {
	self  int
	procs map[int]procEntry
}

type procEntry struct {
	cmdline string
	read    time.Time
}

const cmdlineTTL = 5 * time.Second

func newProcCache() *procCache { return &procCache{self: os.Getpid(), procs: map[int]procEntry{}} }

// refresh lists the live processes.
func (c *procCache) refresh() {
	d, err := os.Open("/proc")
	if err != nil {
		return
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	now := time.Now()
	live := make(map[int]bool, len(names))
	for _, n := range names {
		pid, err := strconv.Atoi(n)
		if err != nil || pid == c.self {
			continue
		}
		live[pid] = true
		if e, ok := c.procs[pid]; ok && now.Sub(e.read) < cmdlineTTL {
			continue
		}
		b, err := os.ReadFile("/proc/" + n + "/cmdline")
		if err != nil {
			continue
		}
		c.procs[pid] = procEntry{cmdline: string(bytes.ReplaceAll(b, []byte{0}, []byte{' '})), read: now}
	}
	for pid := range c.procs {
		if !live[pid] {
			delete(c.procs, pid)
		}
	}
}

func (c *procCache) find(pattern string) []int {
	if pattern == "" {
		return nil
	}
	var pids []int
	for pid, e := range c.procs {
		if strings.Contains(e.cmdline, pattern) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// SystemTicks returns the machine's busy and total CPU time in clock ticks
// (from the first line of /proc/stat), to tell how saturated it was.
func SystemTicks() (busy, total int64, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0, 0, fmt.Errorf("procstat: malformed /proc/stat")
	}
	for i, s := range f[1:] {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, 0, err
		}
		total += v
		if i != 3 && i != 4 { // idle and iowait are not busy
			busy += v
		}
	}
	return busy, total, nil
}
