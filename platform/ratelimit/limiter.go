// Package ratelimit limits request rates across every process with the GCRA
// algorithm (github.com/go-redis/redis_rate) over the shared Redis, so a
// limit holds however many api or gateway instances run.
//
// Limits fail open: when Redis is unreachable requests are allowed and the
// failure is logged, because refusing all traffic over a rate-limiter outage
// is worse than briefly not limiting it.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// keyPrefix namespaces our keys (redis_rate adds its own "rate:" in front).
const keyPrefix = "rl:"

// errorLogInterval throttles the fail-open log: during a Redis outage every
// request fails, and one line per request would drown the logs.
const errorLogInterval = 10 * time.Second

// Limit allows Rate events per Period on average, and bursts of up to Burst
// events at once.
type Limit struct {
	Rate   int
	Period time.Duration
	Burst  int
}

// Validate reports a limit that cannot be enforced; apps call it when
// checking their configuration.
func (l Limit) Validate() error {
	if l.Rate <= 0 || l.Period <= 0 || l.Burst <= 0 {
		return fmt.Errorf("ratelimit: invalid limit %d/%s burst %d: all must be positive", l.Rate, l.Period, l.Burst)
	}
	return nil
}

// Limiter checks limits in Redis. Safe for concurrent use.
type Limiter struct {
	gcra *redis_rate.Limiter
	rdb  redis.UniversalClient
	log  *slog.Logger

	local   *local      // AllowBatched's states
	running atomic.Bool // Run is syncing local: AllowBatched may use it

	lastErrorLog atomic.Int64 // unix nanos of the last fail-open log line
	suppressed   atomic.Int64 // failures not logged since
}

// New returns a Limiter over rdb, logging Redis failures to log (nil
// discards them).
func New(rdb redis.UniversalClient, log *slog.Logger) *Limiter {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Limiter{gcra: redis_rate.NewLimiter(rdb), rdb: rdb, log: log, local: newLocal()}
}

// Allow spends one event of key's budget under lim. When refused, retryAfter
// says when the next event will be allowed. Keys name both the subject and
// the limit ("login:ip:203.0.113.9"): two limits sharing a key share state.
//
// On a Redis error Allow fails open: it returns allowed=true and a nil error
// after logging. err is non-nil only for an invalid lim or empty key, which
// are programming errors.
func (l *Limiter) Allow(ctx context.Context, key string, lim Limit) (allowed bool, retryAfter time.Duration, err error) {
	if err := lim.Validate(); err != nil {
		return false, 0, err
	}
	if key == "" {
		return false, 0, errors.New("ratelimit: empty key")
	}
	res, err := l.gcra.Allow(ctx, keyPrefix+key, redis_rate.Limit{Rate: lim.Rate, Period: lim.Period, Burst: lim.Burst})
	if err != nil {
		l.logFailure(ctx, key, err)
		return true, 0, nil
	}
	if res.Allowed > 0 {
		return true, 0, nil
	}
	return false, res.RetryAfter, nil
}

// logFailure logs a fail-open decision at most once per errorLogInterval,
// with the number of failures left unlogged in between.
func (l *Limiter) logFailure(ctx context.Context, key string, err error) {
	now := time.Now().UnixNano()
	last := l.lastErrorLog.Load()
	if now-last < int64(errorLogInterval) || !l.lastErrorLog.CompareAndSwap(last, now) {
		l.suppressed.Add(1)
		return
	}
	l.log.WarnContext(ctx, "rate limiter unavailable, allowing request",
		"key", key, "error", err, "suppressed", l.suppressed.Swap(0))
}
