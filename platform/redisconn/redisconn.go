// Package redisconn opens the Redis client shared by a process (cache,
// presence, streams, rate limits, revocations), configured from
// config.Redis.
package redisconn

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/platform/config"
)

// Open parses cfg.URL (redis://[user:password@]host:port/db, or rediss://
// for TLS), applies the pool size when set and pings the server, so a
// process fails at start-up rather than on its first request. The caller
// closes the client. The client marks connection-level failures
// outage.ErrUnavailable (see Classify).
func Open(ctx context.Context, cfg config.Redis) (*redis.Client, error) {
	opts, err := redis.ParseURL(cfg.URL)
	if err != nil {
		// url.Error repeats the URL, password included: keep only the cause.
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("redisconn: parse REDIS_URL: %w", err)
	}
	if cfg.PoolSize > 0 {
		opts.PoolSize = cfg.PoolSize
	}
	rdb := redis.NewClient(opts)
	rdb.AddHook(classifyHook{})
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		return nil, fmt.Errorf("redisconn: ping %s: %w", opts.Addr, err)
	}
	return rdb, nil
}
