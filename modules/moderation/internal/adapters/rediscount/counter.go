// Package rediscount is the Redis adapter of app.Counter: fixed windows
// shared by every worker.
package rediscount

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

const prefix = "mod:count:"

// incr adds one and starts the window on the first increment, atomically.
var incr = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`)

// Counter implements app.Counter.
type Counter struct{ rdb redis.UniversalClient }

// New returns a Counter on rdb.
func New(rdb redis.UniversalClient) *Counter { return &Counter{rdb: rdb} }

// Incr implements app.Counter.
func (c *Counter) Incr(ctx context.Context, key string, window time.Duration) (int64, error) {
	return incr.Run(ctx, c.rdb, []string{prefix + key}, window.Milliseconds()).Int64()
}
