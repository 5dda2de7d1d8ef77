// Package redisconn opens the Redis client shared by a process (cache,
// presence, streams, rate limits, revocations), configured from
// config.Redis: one server (REDIS_URL) or a Redis Cluster
// (REDIS_CLUSTER_ADDRS). Callers hold a redis.UniversalClient and need not
// care which; the few operations a cluster treats differently (commands
// over keys of several hash slots, SCAN) go through the helpers of
// cluster.go.
package redisconn

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/platform/config"
)

// Open connects to the server of cfg.URL (redis://[user:password@]host:port/db,
// or rediss:// for TLS), or, when cfg.ClusterAddrs is set, to the Redis
// Cluster they seed (a *redis.ClusterClient; cfg.URL then only lends its
// credentials and TLS). It applies the pool size when set and pings the
// server (every master of a cluster), so a process fails at start-up
// rather than on its first request. The caller closes the client. The
// client marks connection-level failures outage.ErrUnavailable (see
// Classify).
func Open(ctx context.Context, cfg config.Redis) (redis.UniversalClient, error) {
	if cfg.Cluster() {
		return openCluster(ctx, cfg)
	}
	opts, err := parseURL(cfg.URL)
	if err != nil {
		return nil, err
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

func parseURL(raw string) (*redis.Options, error) {
	opts, err := redis.ParseURL(raw)
	if err != nil {
		// url.Error repeats the URL, password included: keep only the cause.
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("redisconn: parse REDIS_URL: %w", err)
	}
	return opts, nil
}

func openCluster(ctx context.Context, cfg config.Redis) (redis.UniversalClient, error) {
	opts := &redis.ClusterOptions{PoolSize: cfg.PoolSize}
	for _, a := range cfg.ClusterAddrs {
		if a = strings.TrimSpace(a); a != "" {
			opts.Addrs = append(opts.Addrs, a)
		}
	}
	if cfg.URL != "" {
		u, err := parseURL(cfg.URL)
		if err != nil {
			return nil, err
		}
		opts.Username, opts.Password, opts.TLSConfig = u.Username, u.Password, u.TLSConfig
	}
	rdb := redis.NewClusterClient(opts)
	rdb.AddHook(classifyHook{})
	err := rdb.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		return c.Ping(ctx).Err()
	})
	if err != nil {
		_ = rdb.Close()
		return nil, fmt.Errorf("redisconn: ping cluster %s: %w", strings.Join(opts.Addrs, ","), err)
	}
	return rdb, nil
}
