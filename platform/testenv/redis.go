package testenv

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

const (
	firstDB, lastDB = 1, 15
	leaseTTL        = 2 * time.Minute  // a crashed test run frees its DB this fast
	leaseRenew      = 30 * time.Second // well inside leaseTTL
	leaseWait       = 60 * time.Second // how long to wait for a free DB
	redisTimeout    = 10 * time.Second
)

// Lease scripts compare the token first, so a test whose lease expired
// (paused process) can never extend or delete a lease now held by another.
// They are immutable values, shared only to avoid re-hashing.
var (
	renewScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("PEXPIRE", KEYS[1], ARGV[2])
end
return 0`)
	releaseScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("DEL", KEYS[1])
end
return 0`)
)

// Redis leases a logical database 1..15 of the TEST_REDIS_URL server for the
// test and returns its URL (redis://host:port/N). The lease is the key
// "testenv:lease:N" in DB 0, set with NX and a two-minute expiry renewed
// every 30s until cleanup, so concurrent test binaries never share a
// database and a killed one frees its lease soon. The database is flushed
// when leased and again at cleanup. When all fifteen are taken Redis retries
// for up to a minute, then fails the test.
func Redis(t testing.TB) (rawURL string) {
	t.Helper()
	base := envOr("TEST_REDIS_URL", defaultRedisURL)
	opts, err := redis.ParseURL(base)
	if err != nil {
		t.Fatalf("testenv: TEST_REDIS_URL: %v", err)
	}
	ctlOpts := *opts
	ctlOpts.DB = 0
	ctl := redis.NewClient(&ctlOpts)

	token := randomHex(16)
	n, err := acquire(ctl, token)
	if err != nil {
		_ = ctl.Close()
		t.Fatalf("testenv: %v", err)
	}
	key := leaseKey(n)

	dbOpts := *opts
	dbOpts.DB = n
	db := redis.NewClient(&dbOpts)
	ctx, cancel := context.WithTimeout(context.Background(), redisTimeout)
	defer cancel()
	if err := db.FlushDB(ctx).Err(); err != nil {
		_ = releaseScript.Run(ctx, ctl, []string{key}, token).Err()
		_, _ = db.Close(), ctl.Close()
		t.Fatalf("testenv: flush Redis DB %d: %v", n, err)
	}

	stop, stopped := make(chan struct{}), make(chan struct{})
	go renew(t, ctl, n, token, stop, stopped)
	t.Cleanup(func() {
		close(stop)
		<-stopped // renew must not touch t once the test is over
		ctx, cancel := context.WithTimeout(context.Background(), redisTimeout)
		defer cancel()
		if err := db.FlushDB(ctx).Err(); err != nil {
			t.Errorf("testenv: flush Redis DB %d: %v", n, err)
		}
		if err := releaseScript.Run(ctx, ctl, []string{key}, token).Err(); err != nil {
			t.Errorf("testenv: release Redis DB %d: %v", n, err)
		}
		_, _ = db.Close(), ctl.Close()
	})

	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("testenv: TEST_REDIS_URL: %v", err)
	}
	q := u.Query()
	q.Del("db") // go-redis also reads the DB from ?db=; the path must win
	u.RawQuery = q.Encode()
	u.Path = "/" + strconv.Itoa(n)
	return u.String()
}

func leaseKey(n int) string { return "testenv:lease:" + strconv.Itoa(n) }

// acquire takes the first free DB, polling until leaseWait has passed.
func acquire(ctl *redis.Client, token string) (int, error) {
	deadline := time.Now().Add(leaseWait)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), redisTimeout)
		for n := firstDB; n <= lastDB; n++ {
			ok, err := ctl.SetNX(ctx, leaseKey(n), token, leaseTTL).Result()
			if err != nil {
				cancel()
				return 0, fmt.Errorf("lease a Redis DB (is Redis running at TEST_REDIS_URL?): %w", err)
			}
			if ok {
				cancel()
				return n, nil
			}
		}
		cancel()
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("all Redis DBs %d..%d stayed leased for %s (keys testenv:lease:N in DB 0): "+
				"too many concurrent tests, or leases of a killed run not yet expired (they expire within %s)",
				firstDB, lastDB, leaseWait, leaseTTL)
		}
		// Jitter keeps waiting test binaries from polling in lockstep.
		time.Sleep(250*time.Millisecond + rand.N(250*time.Millisecond))
	}
}

// renew extends the lease every leaseRenew until stop is closed. Losing the
// lease (the process was paused past its expiry) fails the test: another
// test may now be using the same database.
func renew(t testing.TB, ctl *redis.Client, n int, token string, stop <-chan struct{}, stopped chan<- struct{}) {
	defer close(stopped)
	tick := time.NewTicker(leaseRenew)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
			ctx, cancel := context.WithTimeout(context.Background(), redisTimeout)
			ok, err := renewScript.Run(ctx, ctl, []string{leaseKey(n)}, token, leaseTTL.Milliseconds()).Int()
			cancel()
			switch {
			case err != nil:
				t.Logf("testenv: renew lease on Redis DB %d: %v", n, err) // retried next tick
			case ok == 0:
				t.Errorf("testenv: lost the lease on Redis DB %d; another test may share it", n)
				return
			}
		}
	}
}

// RedisClient is Redis with a client on the leased database, closed at
// cleanup.
func RedisClient(t testing.TB) *redis.Client {
	t.Helper()
	opts, err := redis.ParseURL(Redis(t))
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}
