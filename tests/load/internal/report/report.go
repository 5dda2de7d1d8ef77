package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/chatforge/chat/tests/load/internal/httpload"
	"github.com/chatforge/chat/tests/load/internal/procstat"
	"github.com/chatforge/chat/tests/load/internal/scenario"
)

// Endpoints in report order.
var Endpoints = []string{httpload.Cheap, httpload.Profile, httpload.History, httpload.Post, httpload.Upload, httpload.UploadImage}

// Report is the whole run.
type Report struct {
	Date        string                      `json:"date"`
	Machine     Machine                     `json:"machine"`
	Settings    map[string]string           `json:"settings"`
	Seed        map[string]any              `json:"seed,omitempty"`
	HTTP        map[string]*httpload.Result `json:"http,omitempty"`
	Connections *scenario.Report            `json:"connections,omitempty"`
	Idle        []*scenario.Report          `json:"idle,omitempty"` // the pinned mode's idle-socket runs
	Rooms       *scenario.Report            `json:"rooms,omitempty"`
	Broadcast   *scenario.Report            `json:"broadcast,omitempty"`
	Sustained   *Sustained                  `json:"sustained,omitempty"`
	Profiles    []Profile                   `json:"profiles,omitempty"`
	Targets     []Target                    `json:"targets"`
}

// Load reads the workload results a run left in dir; missing ones are
// skipped (the report says so).
func Load(dir string) (*Report, error) {
	r := &Report{HTTP: map[string]*httpload.Result{}, Settings: map[string]string{}}
	read := func(name string, v any) error {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, v); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	}
	var errs []error
	errs = append(errs, read("settings.json", &r.Settings), read("seed.json", &r.Seed))
	for _, ep := range Endpoints {
		var res httpload.Result
		b, err := os.ReadFile(filepath.Join(dir, "http-"+ep+".json"))
		if err == nil {
			err = json.Unmarshal(b, &res)
			if err == nil {
				r.HTTP[ep] = &res
			}
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	for name, dst := range map[string]**scenario.Report{"connections.json": &r.Connections, "rooms.json": &r.Rooms,
		"broadcast.json": &r.Broadcast} {
		var rep scenario.Report
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err == nil {
			if err = json.Unmarshal(b, &rep); err == nil {
				*dst = &rep
			}
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	var sus Sustained
	errs = append(errs, read("sustained.json", &sus.Rooms), read("sustained-watch.json", &sus.Watch))
	if sus.Rooms != nil || sus.Watch != nil {
		r.Sustained = &sus
	}
	idle, err := loadIdle(dir)
	r.Idle = idle
	errs = append(errs, err)
	profiles, err := loadProfiles(filepath.Join(dir, "profiles"))
	r.Profiles = profiles
	errs = append(errs, err)
	return r, errors.Join(errs...)
}

// BoundBy says what limited a measurement, from the CPU of the window: a
// saturated machine names its biggest consumers; otherwise the limit is
// waiting (round trips, locks, fsync), not computing.
func BoundBy(cpu procstat.CPUReport) string {
	if cpu.Cores == 0 || cpu.WindowSec == 0 {
		return "unknown (no CPU figures)"
	}
	use := cpuUse(cpu)
	if cpu.MachineBusy >= 0.85*float64(cpu.Cores) {
		return fmt.Sprintf("CPU: the machine's %d cores were %.0f%% busy (cores used: %s)",
			cpu.Cores, 100*cpu.MachineBusy/float64(cpu.Cores), use)
	}
	return fmt.Sprintf("not CPU: %.2f of %d cores busy (%s), so waiting (round trips, locks, fsync) bounds it",
		cpu.MachineBusy, cpu.Cores, use)
}

// cpuUse lists the cores each group used, the biggest first, and what
// other processes used.
func cpuUse(cpu procstat.CPUReport) string {
	names := make([]string, 0, len(cpu.Groups))
	var ours float64
	for n, u := range cpu.Groups {
		names = append(names, n)
		ours += u.Cores
	}
	slices.SortFunc(names, func(a, b string) int {
		switch d := cpu.Groups[b].Cores - cpu.Groups[a].Cores; {
		case d > 0:
			return 1
		case d < 0:
			return -1
		}
		return strings.Compare(a, b)
	})
	var parts []string
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s %.2f", n, cpu.Groups[n].Cores))
	}
	if other := cpu.MachineBusy - ours; other > 0.05 {
		parts = append(parts, fmt.Sprintf("other processes %.2f", other))
	}
	return strings.Join(parts, ", ")
}
