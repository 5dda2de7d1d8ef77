// Package report turns the JSON results of a benchmark run into the
// published report: one JSON document and a Markdown page with the machine,
// the versions, the settings, every figure, and each target met or missed
// (by how much, and what bounded it).
package report

import (
	"context"
	"os"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

// Machine describes where the run happened.
type Machine struct {
	CPUModel   string  `json:"cpuModel"`
	Cores      int     `json:"cores"`
	MemoryGiB  float64 `json:"memoryGiB"`
	Kernel     string  `json:"kernel"`
	Go         string  `json:"go"`
	PostgreSQL string  `json:"postgresql"`
	Redis      string  `json:"redis"`
	FileLimit  uint64  `json:"openFileLimit"`
	LoadAvg    string  `json:"loadAverageAtReport"`
}

// Probe reads the machine and asks PostgreSQL and Redis their versions
// (either URL may be empty).
func Probe(ctx context.Context, databaseURL, redisURL string) Machine {
	m := Machine{Cores: runtime.NumCPU(), Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb float64
		for line := range strings.SplitSeq(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				f := strings.Fields(rest)
				if len(f) > 0 {
					kb = parseFloat(f[0])
				}
			}
		}
		m.MemoryGiB = kb / (1 << 20)
	}
	m.Kernel = readTrim("/proc/sys/kernel/osrelease")
	m.LoadAvg = readTrim("/proc/loadavg")
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl) == nil {
		m.FileLimit = rl.Max
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if databaseURL != "" {
		if conn, err := pgx.Connect(ctx, databaseURL); err == nil {
			_ = conn.QueryRow(ctx, "SHOW server_version").Scan(&m.PostgreSQL)
			conn.Close(ctx)
		}
	}
	if redisURL != "" {
		if opt, err := redis.ParseURL(redisURL); err == nil {
			rdb := redis.NewClient(opt)
			if info, err := rdb.Info(ctx, "server").Result(); err == nil {
				for line := range strings.SplitSeq(info, "\n") {
					if v, ok := strings.CutPrefix(strings.TrimSpace(line), "redis_version:"); ok {
						m.Redis = v
					}
				}
			}
			rdb.Close()
		}
	}
	return m
}

func readTrim(path string) string {
	b, _ := os.ReadFile(path)
	return strings.TrimSpace(string(b))
}

func parseFloat(s string) float64 {
	var v float64
	for _, c := range s {
		if c < '0' || c > '9' {
			break
		}
		v = v*10 + float64(c-'0')
	}
	return v
}
