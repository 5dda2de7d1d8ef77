// Package httpload drives authenticated REST load at a fixed concurrency:
// each worker sends one request, reads the whole answer, and sends the
// next, for a fixed time after a warm-up. Requests rotate over many seeded
// users so no user hits the per-user rate limit (it stays on, as in
// production). Latencies go to an HDR histogram.
package httpload

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chatforge/chat/tests/load/internal/hist"
	"github.com/chatforge/chat/tests/load/internal/hops"
	"github.com/chatforge/chat/tests/load/internal/procstat"
	"github.com/chatforge/chat/tests/load/internal/seed"
)

// Endpoints.
const (
	Cheap   = "cheap"   // GET /api/push/vapid-public-key: auth and rate limit only, no database
	Profile = "profile" // GET /api/user/profile: auth, rate limit, one row by key
	History = "history" // GET /api/chat/messages: a page of 50 from a seeded room
	Post    = "post"    // POST /api/chat/messages: one stored message (and its event)
	// Upload is POST /api/chat/attachments of a file of UploadBytes
	// (random bytes: spooled, sniffed, quota-checked, stored); UploadImage
	// of a 640x480 PNG (decoded and thumbnailed too).
	Upload      = "upload"
	UploadImage = "upload-image"
)

// Config is one run.
type Config struct {
	Base        string        `json:"base"` // http://127.0.0.1:8080
	Endpoint    string        `json:"endpoint"`
	Concurrency int           `json:"concurrency"`
	Duration    time.Duration `json:"duration"`
	Warmup      time.Duration `json:"warmup"`
	Users       int           `json:"users"` // rotate over the first Users eligible users; 0: all
	PageSize    int           `json:"pageSize"`
	UploadBytes int           `json:"uploadBytes,omitempty"` // upload: the file's size
	RunID       string        `json:"runId"`
}

// Result is what a run measured.
type Result struct {
	Config       Config             `json:"config"`
	Users        int                `json:"usersRotated"`
	Requests     int64              `json:"requests"`
	OK           int64              `json:"ok"`
	Failed       int64              `json:"failed"`
	Statuses     map[string]int64   `json:"statuses"`
	Errors       map[string]int64   `json:"errors,omitempty"`
	ReqPerSec    float64            `json:"requestsPerSec"`
	OKPerSec     float64            `json:"okPerSec"`
	BytesPerResp float64            `json:"bytesPerResponse"`
	Latency      hist.Summary       `json:"latency"`
	CPU          procstat.CPUReport `json:"cpu"`
	// Hops: posts' time per hop of the message path (the api's and the
	// gateways' histograms, -hops-metrics), warm-up included.
	Hops []hops.Row `json:"hops,omitempty"`
}

// target builds the request of user u (index into the seed), the n-th of
// the run.
type target func(u int, n int64) request

// counters are what the workers update.
type counters struct {
	measuring    atomic.Bool
	stop         atomic.Bool // no new requests
	next         atomic.Int64
	reqs, ok, in atomic.Int64
	mu           sync.Mutex
	statuses     map[string]int64
	errs         map[string]int64
	lat          *hist.Hist
}

// Run runs the workload; watch names the processes whose CPU to report.
func Run(ctx context.Context, cfg Config, s seed.File, watch []procstat.Group) (*Result, error) {
	lo, hi, tgt, want, err := plan(cfg, s)
	if err != nil {
		return nil, err
	}
	if cfg.Concurrency < 1 || cfg.Duration <= 0 {
		return nil, errors.New("concurrency and duration must be positive")
	}
	tokens, err := s.Tokens(lo, hi)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(cfg.Base)
	if err != nil || u.Scheme != "http" {
		return nil, fmt.Errorf("base %q: want http://host:port", cfg.Base)
	}
	addr := u.Host
	if u.Port() == "" {
		addr += ":80"
	}
	c := &counters{statuses: map[string]int64{}, errs: map[string]int64{}, lat: hist.New()}

	// Workers finish their request in flight after the end instead of
	// cancelling it: a cancelled request is an error on both sides.
	var wg sync.WaitGroup
	for range cfg.Concurrency {
		wg.Go(func() { worker(ctx, c, newConn(addr, u.Host), tgt, tokens, lo, want) })
	}
	watch = append(watch, procstat.Group{Name: "load", Pids: []int{os.Getpid()}})
	sleep(ctx, cfg.Warmup)
	mon := procstat.Start(watch, 0)
	c.measuring.Store(true)
	start := time.Now()
	sleep(ctx, cfg.Duration)
	c.measuring.Store(false)
	elapsed := time.Since(start).Seconds()
	cpu := mon.Stop()
	interrupted := ctx.Err()
	c.stop.Store(true)
	wg.Wait()

	r := &Result{Config: cfg, Users: hi - lo, Requests: c.reqs.Load(), OK: c.ok.Load(), Statuses: c.statuses,
		Errors: c.errs, Latency: c.lat.Summary(), CPU: cpu}
	r.Failed = r.Requests - r.OK
	r.Statuses[strconv.Itoa(want)] = r.OK
	r.ReqPerSec = float64(r.Requests) / elapsed
	r.OKPerSec = float64(r.OK) / elapsed
	if r.Requests > 0 {
		r.BytesPerResp = float64(c.in.Load()) / float64(r.Requests)
	}
	return r, interrupted
}

func worker(ctx context.Context, c *counters, k *conn, tgt target, tokens []string, lo, want int) {
	defer k.close()
	for !c.stop.Load() && ctx.Err() == nil {
		n := c.next.Add(1)
		u := int(n % int64(len(tokens)))
		req := tgt(lo+u, n)
		t0 := time.Now()
		status, size, err := k.do(req, tokens[u])
		d := time.Since(t0)
		if !c.measuring.Load() {
			continue // warm-up, or finishing after the end
		}
		c.reqs.Add(1)
		if err != nil {
			c.mu.Lock()
			c.errs[short(err)]++
			c.mu.Unlock()
			continue
		}
		c.lat.Record(d)
		c.in.Add(size)
		if status == want {
			c.ok.Add(1)
			continue
		}
		c.mu.Lock()
		c.statuses[strconv.Itoa(status)]++
		c.mu.Unlock()
	}
}

// plan picks the users eligible for the endpoint, its request builder and
// its success status.
func plan(cfg Config, s seed.File) (lo, hi int, t target, want int, err error) {
	page := cfg.PageSize
	if page <= 0 {
		page = 50
	}
	limit := func(n int) int {
		if cfg.Users > 0 {
			return min(cfg.Users, n)
		}
		return n
	}
	switch cfg.Endpoint {
	case Cheap:
		return 0, limit(s.Users), func(int, int64) request {
			return request{method: http.MethodGet, path: "/api/push/vapid-public-key"}
		}, http.StatusOK, nil
	case Profile:
		return 0, limit(s.Users), func(int, int64) request {
			return request{method: http.MethodGet, path: "/api/user/profile"}
		}, http.StatusOK, nil
	case History:
		if s.HistoryRooms == 0 || s.MessagesPerRoom <= page {
			return 0, 0, nil, 0, fmt.Errorf("history needs a seed with history rooms of more than %d messages", page)
		}
		return 0, limit(s.HistoryRooms * s.RoomSize), func(u int, _ int64) request {
			r, _ := s.RoomOf(u)
			// A random full page: before in page+1..M+1.
			before := page + 1 + rand.IntN(s.MessagesPerRoom-page+1)
			return request{method: http.MethodGet, path: fmt.Sprintf("/api/chat/messages?roomId=%s&limit=%d&before=%d",
				seed.GroupRoomID(r), page, before)}
		}, http.StatusOK, nil
	case Post:
		if s.GroupRooms() == 0 {
			return 0, 0, nil, 0, errors.New("post needs a seed with group rooms")
		}
		return 0, limit(s.GroupRooms() * s.RoomSize), func(u int, n int64) request {
			r, _ := s.RoomOf(u)
			body := fmt.Sprintf(`{"roomId":%q,"content":"load message %d from user %d: the quick brown fox","clientMsgId":"%s-%d"}`,
				seed.GroupRoomID(r), n, u, cfg.RunID, n)
			return request{method: http.MethodPost, path: "/api/chat/messages", body: []byte(body)}
		}, http.StatusCreated, nil
	case Upload, UploadImage:
		if s.GroupRooms() == 0 {
			return 0, 0, nil, 0, errors.New("upload needs a seed with group rooms")
		}
		file, name, err := uploadFile(cfg)
		if err != nil {
			return 0, 0, nil, 0, err
		}
		return 0, limit(s.GroupRooms() * s.RoomSize), func(u int, _ int64) request {
			r, _ := s.RoomOf(u)
			body, ct := multipartBody(seed.GroupRoomID(r), name, file)
			return request{method: http.MethodPost, path: "/api/chat/attachments", body: body, contentType: ct}
		}, http.StatusCreated, nil
	}
	return 0, 0, nil, 0, fmt.Errorf("unknown endpoint %q (want cheap, profile, history, post, upload or upload-image)", cfg.Endpoint)
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
}

func short(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		s = s[i+2:]
	}
	if len(s) > 100 {
		s = s[:100]
	}
	return s
}
