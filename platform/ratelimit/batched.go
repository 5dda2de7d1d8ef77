package ratelimit

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/platform/redisconn"
)

// Batched limiting (AllowBatched, Run) answers from memory and reconciles
// with Redis every sync interval, instead of a round trip per event.
//
// Each instance runs a GCRA per key over the full limit. Every interval
// it sends, in one script call per 500 keys, how many events it admitted
// per key; Redis adds them all to the key's shared GCRA state (the same
// key and format as Allow's), even past the limit, and answers the
// resulting state, which becomes the instance's local state. So:
//   - one instance alone is exact, as Allow;
//   - with N instances, before they learn each other's counts, each may
//     admit up to the key's remaining budget (at most Burst) plus
//     Rate x interval: the excess over a short window is bounded by
//     (N-1) x (Burst + Rate x interval);
//   - the excess is recorded in Redis as debt, so every instance then
//     refuses the key until it is paid back: over time the limit holds.
// When Redis fails, the local limit still applies per instance, and the
// counts wait for the next sync that gets through.

// syncChunk bounds the keys of one script call, so Redis is never blocked
// long by one call.
const syncChunk = 500

// consume adds n events of emission interval ARGV[2i-1] (seconds) and cost
// ARGV[2i] to each KEYS[i], over the limit too, and returns for each the
// time until its state drains (tat - now, seconds). The tat is stored as
// redis_rate stores it (seconds since 2017-01-01), so both share a key.
var consume = redis.NewScript(`
local jan_1_2017 = 1483228800
local t = redis.call("TIME")
local now = (t[1] - jan_1_2017) + (t[2] / 1000000)
local out = {}
for i, key in ipairs(KEYS) do
  local emission = tonumber(ARGV[2 * i - 1])
  local cost = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call("GET", key) or now) or now
  tat = math.max(tat, now)
  local new_tat = tat + emission * cost
  local reset = new_tat - now
  redis.call("SET", key, new_tat, "EX", math.ceil(reset))
  out[i] = tostring(reset)
end
return out
`)

// AllowBatched is Allow answered from memory while Run is going (see the
// bounds above); without Run it is Allow. For high-rate limits where a
// short excess across instances is acceptable (per-user API and command
// limits); login and register limits use Allow.
func (l *Limiter) AllowBatched(ctx context.Context, key string, lim Limit) (allowed bool, retryAfter time.Duration, err error) {
	if !l.running.Load() {
		return l.Allow(ctx, key, lim)
	}
	if err := lim.Validate(); err != nil {
		return false, 0, err
	}
	if key == "" {
		return false, 0, fmt.Errorf("ratelimit: empty key")
	}
	ok, retry := l.local.allow(key, lim, time.Now())
	return ok, retry, nil
}

// Syncing reports whether Run is going, i.e. AllowBatched answers from
// memory.
func (l *Limiter) Syncing() bool { return l.running.Load() }

// Run reconciles AllowBatched's counts with Redis every interval until ctx
// is done, then makes one last sync and returns nil. Redis failures are
// logged (throttled) and the counts of that round carried to the next one
// (see local.carry): the local limit keeps applying meanwhile. Run at most
// once at a time.
func (l *Limiter) Run(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		return fmt.Errorf("ratelimit: sync interval must be positive (got %s)", interval)
	}
	l.running.Store(true)
	defer l.running.Store(false)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			l.sync(sctx)
			cancel()
			return nil
		case <-t.C:
			sctx, cancel := context.WithTimeout(ctx, max(interval, time.Second))
			l.sync(sctx)
			cancel()
		}
	}
}

// sync reports the pending counts and learns the shared states.
func (l *Limiter) sync(ctx context.Context) {
	dues := l.local.take(time.Now())
	for len(dues) > 0 {
		n := min(len(dues), syncChunk)
		chunk := dues[:n]
		dues = dues[n:]
		keys := make([]string, n)
		args := make([]any, 0, 2*n)
		for i, d := range chunk {
			keys[i] = "rate:" + keyPrefix + d.key // redis_rate's key for Allow
			emission := d.lim.Period.Seconds() / float64(d.lim.Rate)
			args = append(args, strconv.FormatFloat(emission, 'g', -1, 64), d.count)
		}
		resets, err := l.consumeAll(ctx, keys, args)
		if err != nil {
			// Carried to the next sync. A script that ran but whose answer
			// was lost (a timeout) is then counted twice: erring on the
			// side of limiting.
			l.logFailure(ctx, chunk[0].key, fmt.Errorf("sync batched counts: %w", err))
			now := time.Now()
			for _, d := range chunk {
				l.local.carry(d, now)
			}
			continue
		}
		now := time.Now()
		for i, d := range chunk {
			secs, err := strconv.ParseFloat(resets[i], 64)
			if err != nil {
				continue
			}
			l.local.learn(d, time.Duration(secs*float64(time.Second)), now)
		}
	}
}

// consumeAll runs consume over keys (args: two per key) and returns the
// keys' answers in order: one script call on one Redis; on a Redis
// Cluster, one per hash slot (a script's keys must share one), pipelined.
func (l *Limiter) consumeAll(ctx context.Context, keys []string, args []any) ([]string, error) {
	groups := redisconn.SlotGroups(l.rdb, keys)
	if len(groups) == 1 {
		resets, err := consume.Run(ctx, l.rdb, keys, args...).StringSlice()
		if err == nil && len(resets) != len(keys) {
			err = fmt.Errorf("script answered %d states for %d keys", len(resets), len(keys))
		}
		return resets, err
	}
	gkeys := make([][]string, len(groups))
	gargs := make([][]any, len(groups))
	for gi, g := range groups {
		for _, i := range g {
			gkeys[gi] = append(gkeys[gi], keys[i])
			gargs[gi] = append(gargs[gi], args[2*i], args[2*i+1])
		}
	}
	cmds := make([]*redis.Cmd, len(groups))
	_, _ = l.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for gi := range groups {
			cmds[gi] = consume.EvalSha(ctx, p, gkeys[gi], gargs[gi]...)
		}
		return nil
	})
	out := make([]string, len(keys))
	for gi, g := range groups {
		cmd := cmds[gi]
		if redis.HasErrorPrefix(cmd.Err(), "NOSCRIPT") {
			// This node lost its script cache (restarted): loaded again.
			cmd = consume.Run(ctx, l.rdb, gkeys[gi], gargs[gi]...)
		}
		resets, err := cmd.StringSlice()
		if err == nil && len(resets) != len(g) {
			err = fmt.Errorf("script answered %d states for %d keys", len(resets), len(g))
		}
		if err != nil {
			return nil, err
		}
		for j, i := range g {
			out[i] = resets[j]
		}
	}
	return out, nil
}
