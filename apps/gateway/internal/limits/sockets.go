package limits

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Sockets limits how many sockets a user holds at once across every
// gateway. Each user has a sorted set in Redis of their connection ids
// scored by lease expiry (unix ms): Acquire adds one atomically unless the
// user already holds Max unexpired leases, the gateway's presence
// heartbeat renews them (Renew), and a closing socket releases its own
// (Release). A crashed gateway's leases lapse after the TTL, so its users
// get their slots back without anyone cleaning up. Safe for concurrent
// use.
//
// A heartbeat racing a socket's close may bring its lease back (Renew
// re-adds, so that leases lost with Redis's data are counted again); such
// a lease only lapses after one TTL.
type Sockets struct {
	rdb redis.UniversalClient
	max int
	ttl time.Duration
	now func() time.Time
}

// NewSockets limits each user to max sockets (0: no limit) whose leases
// last ttl without renewal (the presence TTL: renewed by the same
// heartbeat).
func NewSockets(rdb redis.UniversalClient, max int, ttl time.Duration) *Sockets {
	return &Sockets{rdb: rdb, max: max, ttl: ttl, now: time.Now}
}

// Lease names one socket of a user.
type Lease struct{ UserID, ConnID string }

// renewChunk bounds the commands of one pipeline.
const renewChunk = 1000

// acquireScript trims the expired leases of KEYS[1] and adds ARGV[3] with
// expiry ARGV[2] unless ARGV[4] leases remain. ARGV[1] is now (unix ms).
// Returns 0 when added, else the earliest expiry of the leases held.
var acquireScript = redis.NewScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tonumber(first[2])
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 0
`)

// key is the user's set; the hash tag keeps it in one slot of a cluster.
func key(userID string) string { return "ws:sockets:{" + userID + "}" }

// Max is the per-user limit (0: none).
func (s *Sockets) Max() int { return s.max }

// Acquire takes a lease for a new socket of l.UserID. When the user
// already holds Max sockets it returns false and when to try again: when
// the earliest lease would lapse (at least a second).
func (s *Sockets) Acquire(ctx context.Context, l Lease) (ok bool, retryAfter time.Duration, err error) {
	if s.max <= 0 {
		return true, 0, nil
	}
	now := s.now()
	exp := now.Add(s.ttl).UnixMilli()
	first, err := acquireScript.Run(ctx, s.rdb, []string{key(l.UserID)},
		now.UnixMilli(), exp, l.ConnID, s.max, s.ttl.Milliseconds()).Int64()
	if err != nil {
		return false, 0, fmt.Errorf("limits: acquire socket lease: %w", err)
	}
	if first == 0 {
		return true, 0, nil
	}
	wait := time.UnixMilli(first).Sub(now)
	return false, min(max(wait, time.Second), s.ttl), nil
}

// Renew extends the leases of live sockets by the TTL (re-adding any that
// Redis lost).
func (s *Sockets) Renew(ctx context.Context, leases []Lease) error {
	if s.max <= 0 {
		return nil
	}
	exp := float64(s.now().Add(s.ttl).UnixMilli())
	return s.pipeline(ctx, leases, func(p redis.Pipeliner, l Lease) {
		k := key(l.UserID)
		p.ZAdd(ctx, k, redis.Z{Score: exp, Member: l.ConnID})
		p.PExpire(ctx, k, s.ttl)
	})
}

// Release ends the leases of closed sockets.
func (s *Sockets) Release(ctx context.Context, leases []Lease) error {
	if s.max <= 0 {
		return nil
	}
	return s.pipeline(ctx, leases, func(p redis.Pipeliner, l Lease) {
		p.ZRem(ctx, key(l.UserID), l.ConnID)
	})
}

func (s *Sockets) pipeline(ctx context.Context, leases []Lease, add func(redis.Pipeliner, Lease)) error {
	for len(leases) > 0 {
		n := min(len(leases), renewChunk)
		_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, l := range leases[:n] {
				add(p, l)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("limits: socket leases: %w", err)
		}
		leases = leases[n:]
	}
	return nil
}
