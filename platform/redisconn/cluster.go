package redisconn

import (
	"context"
	"strings"

	"github.com/redis/go-redis/v9"
)

// This file holds what differs on a Redis Cluster. A cluster refuses a
// command, script or MULTI/EXEC over keys of different hash slots
// (CROSSSLOT), and SCAN sees the keys of one node only. Keys that must be
// used together share a hash tag ("{...}": only the tag is hashed); keys
// that cannot (one per user, one per stream partition) are grouped by slot
// with SlotGroups, one command per group.

// IsCluster reports whether rdb is a Redis Cluster client.
func IsCluster(rdb redis.UniversalClient) bool {
	_, ok := rdb.(*redis.ClusterClient)
	return ok
}

// Slot is the cluster hash slot of key (CRC16 of its hash tag, or of the
// whole key without one, modulo 16384), as the servers compute it.
func Slot(key string) int {
	if s := strings.IndexByte(key, '{'); s >= 0 {
		if e := strings.IndexByte(key[s+1:], '}'); e > 0 {
			key = key[s+1 : s+1+e]
		}
	}
	var crc uint16
	for i := 0; i < len(key); i++ {
		crc = crc<<8 ^ crc16Table[byte(crc>>8)^key[i]]
	}
	return int(crc) % 16384
}

// crc16Table is CRC-16/XMODEM (polynomial 0x1021), the hash of Redis
// Cluster's key slots, by leading byte.
var crc16Table = func() (t [256]uint16) {
	for i := range t {
		crc := uint16(i) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
		t[i] = crc
	}
	return t
}()

// SlotGroups partitions the indexes of keys into groups whose keys may go
// in one multi-key command: all of them for a single server, one group per
// hash slot on a cluster. Groups keep the order of keys and come in the
// order of their first key.
func SlotGroups(rdb redis.UniversalClient, keys []string) [][]int {
	if len(keys) == 0 {
		return nil
	}
	if !IsCluster(rdb) {
		all := make([]int, len(keys))
		for i := range all {
			all[i] = i
		}
		return [][]int{all}
	}
	bySlot := make(map[int]int) // slot -> group index
	var groups [][]int
	for i, k := range keys {
		s := Slot(k)
		g, ok := bySlot[s]
		if !ok {
			g = len(groups)
			bySlot[s] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	return groups
}

// ScanKeys calls fn with every batch of keys matching pattern (SCAN MATCH
// with COUNT count), on every master of a cluster, and c able to run
// commands on those keys. On a cluster fn runs concurrently for the
// masters: it must be safe for that. It stops at the first error.
func ScanKeys(ctx context.Context, rdb redis.UniversalClient, pattern string, count int64,
	fn func(ctx context.Context, c redis.Cmdable, keys []string) error) error {
	scan := func(ctx context.Context, c redis.Cmdable) error {
		var cursor uint64
		for {
			keys, next, err := c.Scan(ctx, cursor, pattern, count).Result()
			if err != nil {
				return Classify(err)
			}
			if len(keys) > 0 {
				if err := fn(ctx, c, keys); err != nil {
					return err
				}
			}
			if next == 0 {
				return nil
			}
			cursor = next
		}
	}
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return scan(ctx, c) })
	}
	return scan(ctx, rdb)
}

// WithoutRetries returns a new client on rdb's server or cluster that never
// sends a command twice: for commands that must not run twice (an XADD
// whose reply was lost may have been appended). On a cluster this also
// drops following MOVED/ASK redirects: a command sent to a node that no
// longer owns its slot fails (the client reloads the slot map for the
// next one). It has the classifying hook of Open's clients; the caller
// closes it.
func WithoutRetries(rdb redis.UniversalClient) redis.UniversalClient {
	switch c := rdb.(type) {
	case *redis.ClusterClient:
		opts := *c.Options()
		opts.MaxRetries, opts.MaxRedirects = -1, -1
		opts.PushNotificationProcessor, opts.MaintNotificationsConfig = nil, nil
		nc := redis.NewClusterClient(&opts)
		nc.AddHook(classifyHook{})
		return nc
	case *redis.Client:
		opts := *c.Options()
		opts.MaxRetries = -1
		// Its own push-notification state: the copied ones belong to rdb.
		opts.PushNotificationProcessor, opts.MaintNotificationsConfig = nil, nil
		nc := redis.NewClient(&opts)
		nc.AddHook(classifyHook{})
		return nc
	default:
		panic("redisconn: WithoutRetries of an unknown client type")
	}
}

// DB is the database number rdb uses: 0 on a cluster.
func DB(rdb redis.UniversalClient) int {
	if c, ok := rdb.(*redis.Client); ok {
		return c.Options().DB
	}
	return 0
}

// Ping checks that Redis answers: the server, or every master of a
// cluster (a plain PING reaches one node, and a master down takes its
// slots' keys with it). For readiness probes.
func Ping(ctx context.Context, rdb redis.UniversalClient) error {
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		return Classify(cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
			return c.Ping(ctx).Err()
		}))
	}
	return rdb.Ping(ctx).Err()
}
