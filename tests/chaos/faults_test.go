package chaos

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chatforge/chat/tests/e2e/harness"
)

// cluster is what the faults act on.
type cluster struct {
	pg       *harness.PrivatePostgres
	redis    *harness.PrivateRedis
	apis     []*harness.Proc
	gateways []*harness.Proc
	worker   *harness.Proc
}

// Fault kinds (CHAOS_FAULTS=gateway,redis limits a run to some).
const (
	killGateway     = "gateway"  // kill -9 a gateway, start it again
	killAPI         = "api"      // kill -9 an api, start it again
	killWorker      = "worker"   // kill -9 the worker, start it again
	restartRedis    = "redis"    // kill -9 Redis, start it again (append-only file)
	restartPostgres = "postgres" // pg_ctl stop -m immediate, start again
)

var allKinds = []string{killGateway, killAPI, killWorker, restartRedis, restartPostgres}

// injector injects one fault at a time, each fully recovered from (the
// process or server back and ready) before the next: overlapping faults
// would mostly test start-up timeouts.
type injector struct {
	kinds []string
	c     *cluster
	rng   *rand.Rand
	count map[string]int
	log   []string
}

// run injects faults at random intervals for d; every kind comes once
// in the first five, in random order.
func (in *injector) run(t *testing.T, d time.Duration) {
	t.Helper()
	kinds := in.kinds
	first := append([]string(nil), kinds...)
	in.rng.Shuffle(len(first), func(i, j int) { first[i], first[j] = first[j], first[i] })
	start := time.Now()
	for i := 0; time.Since(start) < d; i++ {
		time.Sleep(time.Duration(1500+in.rng.IntN(3000)) * time.Millisecond)
		kind := kinds[in.rng.IntN(len(kinds))]
		if i < len(first) {
			kind = first[i]
		}
		begin := time.Now()
		what := in.inject(t, kind)
		in.count[kind]++
		in.log = append(in.log, fmt.Sprintf("%6.1fs %s (%s, back after %s)",
			begin.Sub(start).Seconds(), kind, what, time.Since(begin).Round(10*time.Millisecond)))
	}
}

// inject causes one fault and waits until the victim is back.
func (in *injector) inject(t *testing.T, kind string) string {
	t.Helper()
	down := time.Duration(200+in.rng.IntN(1500)) * time.Millisecond
	crash := func(ps []*harness.Proc) string {
		p := ps[in.rng.IntN(len(ps))]
		p.Kill()
		time.Sleep(down)
		p.Start(t)
		return p.Name()
	}
	switch kind {
	case killGateway:
		return crash(in.c.gateways)
	case killAPI:
		return crash(in.c.apis)
	case killWorker:
		return crash([]*harness.Proc{in.c.worker})
	case restartRedis:
		in.c.redis.Kill()
		time.Sleep(down)
		in.c.redis.Start(t)
	case restartPostgres:
		in.c.pg.Stop(t)
		time.Sleep(down)
		in.c.pg.Start(t)
	}
	in.c.waitReady(30 * time.Second)
	return "down " + down.Round(time.Millisecond).String()
}

// waitReady waits (at most d) until every process answers /readyz 200:
// after a server restart they reconnect on their own.
func (c *cluster) waitReady(d time.Duration) {
	hc := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(d)
	for _, p := range c.all() {
		for time.Now().Before(deadline) {
			res, err := hc.Get(p.URL() + "/readyz")
			if err == nil {
				res.Body.Close()
				if res.StatusCode == http.StatusOK {
					break
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

func (c *cluster) all() []*harness.Proc {
	return append(append(append([]*harness.Proc(nil), c.apis...), c.gateways...), c.worker)
}

func (in *injector) summary() string {
	keys := make([]string, 0, len(in.count))
	total := 0
	for k, n := range in.count {
		keys = append(keys, fmt.Sprintf("%s: %d", k, n))
		total += n
	}
	sort.Strings(keys)
	return fmt.Sprintf("%d faults (%s)", total, strings.Join(keys, ", "))
}
