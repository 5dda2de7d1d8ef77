// Package redisstore keeps presence leases in Redis and publishes presence
// and typing changes on Redis pub/sub channels. Every state change is one
// Lua script, so concurrent gateways never announce a transition twice.
//
// Keys share one hash tag (the prefix) so the scripts are valid in Redis
// Cluster; past what one shard can take, the next step is to spread users
// over several tags (prefix + user hash bucket) with one sweep per bucket.
package redisstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/modules/presence/internal/domain"
)

// batchSize bounds the leases renewed by one script call, so a heartbeat
// of a gateway with many connections does not block Redis for long.
const batchSize = 500

// Store is the Redis adapter. Safe for concurrent use.
type Store struct {
	rdb           redis.UniversalClient
	exp, count    string
	seen, gone    string
	eventsChannel string
	typingChannel string
}

// New returns a Store with keys under prefix (tests pass a unique one),
// publishing presence changes on eventsChannel and typing on typingChannel.
func New(rdb redis.UniversalClient, prefix, eventsChannel, typingChannel string) *Store {
	tag := "{" + prefix + "}"
	return &Store{
		rdb: rdb, exp: tag + ":exp", count: tag + ":count", seen: tag + ":seen", gone: tag + ":gone",
		eventsChannel: eventsChannel, typingChannel: typingChannel,
	}
}

// Acquire adds or renews leases; a user's first lease announces them online.
// Leases of released connections (Release) are skipped: a closed
// connection never comes back online. It returns the number of leases that
// were new.
func (s *Store) Acquire(ctx context.Context, leases []domain.Lease) (int, error) {
	total := 0
	for len(leases) > 0 {
		n := min(len(leases), batchSize)
		args := make([]any, 0, 1+3*n)
		args = append(args, s.eventsChannel)
		for _, l := range leases[:n] {
			args = append(args, l.UserID, l.ConnID, l.Expires.UnixMilli())
		}
		added, err := acquireScript.Run(ctx, s.rdb, []string{s.exp, s.count, s.gone}, args...).Int()
		if err != nil {
			return total, fmt.Errorf("presence: acquire leases: %w", err)
		}
		total += added
		leases = leases[n:]
	}
	return total, nil
}

// Renew moves the expiry of the leases that exist and creates none; it
// returns the leases that were missing (swept, or released).
func (s *Store) Renew(ctx context.Context, leases []domain.Lease) ([]domain.Lease, error) {
	var missing []domain.Lease
	for len(leases) > 0 {
		n := min(len(leases), batchSize)
		args := make([]any, 0, 3*n)
		for _, l := range leases[:n] {
			args = append(args, l.UserID, l.ConnID, l.Expires.UnixMilli())
		}
		pos, err := renewScript.Run(ctx, s.rdb, []string{s.exp}, args...).Int64Slice()
		if err != nil {
			return missing, fmt.Errorf("presence: renew leases: %w", err)
		}
		for _, p := range pos {
			if p >= 1 && p <= int64(n) {
				missing = append(missing, leases[p-1])
			}
		}
		leases = leases[n:]
	}
	return missing, nil
}

// Release ends a connection's lease; the user's last one announces them
// offline with lastSeen = now. The connection is remembered as closed
// until now+keep, so no Acquire in flight brings its lease back. It
// reports whether the user went offline.
func (s *Store) Release(ctx context.Context, userID, connID string, now time.Time, keep time.Duration) (bool, error) {
	res, err := releaseScript.Run(ctx, s.rdb, []string{s.exp, s.count, s.seen, s.gone},
		s.eventsChannel, now.UnixMilli(), userID, connID, now.Add(keep).UnixMilli()).Int()
	if err != nil {
		return false, fmt.Errorf("presence: release lease: %w", err)
	}
	return res == 2, nil
}

// ReleaseMany is Release for many connections, batchSize per script call
// (only UserID and ConnID of each lease are read): one round trip per batch
// instead of one per connection, for a gateway closing many sockets at
// once. Each user whose last lease goes is announced offline once. It
// returns how many users went offline; on error, the batches before the
// failing one were released.
func (s *Store) ReleaseMany(ctx context.Context, conns []domain.Lease, now time.Time, keep time.Duration) (int, error) {
	total := 0
	for len(conns) > 0 {
		n := min(len(conns), batchSize)
		args := make([]any, 0, 3+2*n)
		args = append(args, s.eventsChannel, now.UnixMilli(), now.Add(keep).UnixMilli())
		for _, c := range conns[:n] {
			args = append(args, c.UserID, c.ConnID)
		}
		off, err := releaseManyScript.Run(ctx, s.rdb, []string{s.exp, s.count, s.seen, s.gone}, args...).Int()
		if err != nil {
			return total, fmt.Errorf("presence: release leases: %w", err)
		}
		total += off
		conns = conns[n:]
	}
	return total, nil
}

// Expire sweeps up to limit leases that expired by now. ttl turns an
// expiry back into the last heartbeat, which becomes the user's last seen.
func (s *Store) Expire(ctx context.Context, now time.Time, ttl time.Duration, limit int) (int, error) {
	n, err := expireScript.Run(ctx, s.rdb, []string{s.exp, s.count, s.seen, s.gone},
		s.eventsChannel, now.UnixMilli(), ttl.Milliseconds(), limit).Int()
	if err != nil {
		return 0, fmt.Errorf("presence: sweep leases: %w", err)
	}
	return n, nil
}

// Status reads a user's presence.
func (s *Store) Status(ctx context.Context, userID string) (domain.Presence, error) {
	var count, seen *redis.StringCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		count = p.HGet(ctx, s.count, userID)
		seen = p.HGet(ctx, s.seen, userID)
		return nil
	})
	if err != nil && err != redis.Nil {
		return domain.Presence{}, fmt.Errorf("presence: status: %w", err)
	}
	p := domain.Presence{UserID: userID, Status: domain.Offline}
	if n, _ := count.Int(); n > 0 {
		p.Status = domain.Online
	}
	if ms, err := seen.Int64(); err == nil {
		p.LastSeen = time.UnixMilli(ms).UTC()
	}
	return p, nil
}

// typingWire is the typing message on the channel (see root DecodeTyping).
type typingWire struct {
	UserID string `json:"userId"`
	RoomID string `json:"roomId"`
	State  string `json:"state"`
}

// PublishTyping announces a typing change to every gateway.
func (s *Store) PublishTyping(ctx context.Context, t domain.Typing) error {
	state := "stop"
	if t.Active {
		state = "start"
	}
	b, err := json.Marshal(typingWire{UserID: t.UserID, RoomID: t.RoomID, State: state})
	if err != nil {
		return err
	}
	if err := s.rdb.Publish(ctx, s.typingChannel, b).Err(); err != nil {
		return fmt.Errorf("presence: publish typing: %w", err)
	}
	return nil
}
