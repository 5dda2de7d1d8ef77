package sustain

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/platform/testenv"
)

func samples(n int, rss func(i int) float64, backlog func(i int) int64) []Sample {
	ss := make([]Sample, n)
	for i := range ss {
		ss[i] = Sample{AtSec: float64(i * 10), RSS: map[string]float64{"gateway": rss(i)}, CommandLag: backlog(i), CommandPend: 0, OutboxPend: -1}
	}
	return ss
}

func TestJudge(t *testing.T) {
	const mb = 1 << 20
	flat := samples(60, func(i int) float64 { return 200*mb + float64(i%3)*mb }, func(int) int64 { return 3 })
	if v := Judge(flat); !v.Flat {
		t.Errorf("flat run judged %+v", v)
	}
	// Warm-up growth (the first fifth) does not count.
	warm := samples(60, func(i int) float64 { return 100*mb + float64(min(i, 10))*20*mb }, func(int) int64 { return 0 })
	if v := Judge(warm); !v.Flat {
		t.Errorf("growth during warm-up only judged %+v", v)
	}
	leak := samples(60, func(i int) float64 { return 200*mb + float64(i)*2*mb }, func(int) int64 { return 0 })
	if v := Judge(leak); v.Flat || !strings.Contains(v.Why, "gateway RSS grew") {
		t.Errorf("leaking run judged %+v", v)
	}
	behind := samples(60, func(int) float64 { return 200 * mb }, func(i int) int64 { return int64(i) * 200 })
	if v := Judge(behind); v.Flat || !strings.Contains(v.Why, "backlog grew") || v.MaxBacklog != 59*200 {
		t.Errorf("falling-behind run judged %+v", v)
	}
	if v := Judge(flat[:5]); v.Flat || !strings.Contains(v.Why, "too few") {
		t.Errorf("short run judged %+v", v)
	}
}

// TestWatch reads a real Redis stream group and a metrics page.
func TestWatch(t *testing.T) {
	url := testenv.Redis(t)
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	ctx := context.Background()
	stream := "chat:commands:" + t.Name()
	if err := rdb.XGroupCreateMkStream(ctx, stream, "api", "0").Err(); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: []any{"n", i}}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	var scrapes atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n := scrapes.Add(1)
		fmt.Fprintf(w, "# HELP x\nprocess_resident_memory_bytes %d\ngo_memstats_heap_inuse_bytes 5e+06\ngo_goroutines 12\ngateway_stream_lag_seconds 0.25\n", 1000+n)
	}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(ctx, 250*time.Millisecond)
	defer cancel()
	res := Watch(ctx, Config{Metrics: map[string]string{"gateway0": srv.URL}, RedisURL: url,
		CommandStream: stream, CommandGroup: "api", Interval: 50 * time.Millisecond})
	if len(res.Samples) < 3 {
		t.Fatalf("samples = %d, want at least 3", len(res.Samples))
	}
	s := res.Samples[0]
	if s.RSS["gateway0"] <= 1000 || s.Heap["gateway0"] != 5e6 || s.Goroutines["gateway0"] != 12 || s.StreamLagSec != 0.25 {
		t.Errorf("metrics sample = %+v", s)
	}
	if s.CommandLag != 5 || s.CommandPend != 0 || s.OutboxPend != -1 || len(s.Errors) != 0 {
		t.Errorf("stream sample = %+v", s)
	}
}
