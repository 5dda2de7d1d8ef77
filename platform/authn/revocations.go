package authn

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/platform/redisconn"
)

// RevokedChannel is the Redis pub/sub channel on which Revoke publishes each
// revoked session id, so gateways close that session's sockets at once.
const RevokedChannel = "sessions:revoked"

const revokedKeyPrefix = "revoked:sid:"

const (
	// mirrorHealthInterval bounds how long a silently dead subscription
	// goes unnoticed: a ping is sent after this much silence, and no pong
	// by the next interval takes the mirror off line (so at most twice
	// this).
	mirrorHealthInterval = 3 * time.Second
	// mirrorRetry spaces reconnection attempts after a failure.
	mirrorRetry = time.Second
	// mirrorUnknownTTL keeps an entry whose marker TTL could not be read:
	// a session is never un-revoked, so keeping it too long costs memory
	// only.
	mirrorUnknownTTL = 24 * time.Hour
	// snapshotBatch is the SCAN count and PTTL pipeline size.
	snapshotBatch = 1000
)

// revokeScript sets the marker KEYS[1] for ARGV[1] ms and announces the
// session ARGV[3] on the channel ARGV[2].
var revokeScript = redis.NewScript(`
redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1`)

// Revocations records revoked sessions in Redis, where every api and gateway
// instance sees them. A marker must outlive every access token of its
// session, so it is kept for the token TTL plus the verification leeway;
// after that the tokens are expired anyway and the key expires by itself.
//
// While Run is going, IsRevoked answers from an in-memory mirror of the
// markers (no Redis round trip per request): Run subscribes to
// RevokedChannel, then takes a SCAN snapshot of the markers, and from then
// on adds each announced session. Whenever the mirror is not live (before
// the snapshot, after the subscription broke, without Run) IsRevoked asks
// Redis as before. A revocation made through another instance is seen here
// once its announcement arrives (about a network hop later); one made
// through this instance at once. Safe for concurrent use.
type Revocations struct {
	rdb    redis.UniversalClient
	ttl    time.Duration
	health time.Duration // mirrorHealthInterval; shorter in tests

	live atomic.Bool // the mirror is subscribed and snapshotted
	mu   sync.RWMutex
	sids map[string]time.Time // session id -> when its marker expires
}

// NewRevocations returns a Revocations whose markers cover tokens living ttl
// (the access token TTL).
func NewRevocations(rdb redis.UniversalClient, ttl time.Duration) *Revocations {
	return &Revocations{rdb: rdb, ttl: ttl + leeway, health: mirrorHealthInterval, sids: make(map[string]time.Time)}
}

// Revoke marks the sessions revoked and announces each on RevokedChannel, in
// one round trip. Revoking an already revoked session extends its marker.
func (r *Revocations) Revoke(ctx context.Context, sessionIDs ...string) error {
	if len(sessionIDs) == 0 {
		return nil
	}
	// Each marker and its announcement in one script: a gateway reacting
	// to the message and re-checking must already find the marker, and a
	// marker whose announcement was lost would go unseen by live mirrors
	// until the token expires. One script per session (its marker's slot:
	// valid on a Redis Cluster too), all in one pipeline. EVAL, not
	// EVALSHA: a pipeline cannot fall back on NOSCRIPT, and revocations
	// are rare.
	ttl := strconv.FormatInt(r.ttl.Milliseconds(), 10)
	_, err := r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, sid := range sessionIDs {
			revokeScript.Eval(ctx, p, []string{revokedKeyPrefix + sid}, ttl, RevokedChannel, sid)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("authn: revoke sessions: %w", err)
	}
	// Seen here at once, without waiting for our own announcement. Only
	// while the mirror runs: its sweep bounds the map, and without it
	// IsRevoked asks Redis anyway.
	if !r.live.Load() {
		return nil
	}
	exp := time.Now().Add(r.ttl)
	r.mu.Lock()
	for _, sid := range sessionIDs {
		r.addLocked(sid, exp)
	}
	r.mu.Unlock()
	return nil
}

// IsRevoked reports whether the session was revoked. It answers from
// memory while the mirror is live, from Redis otherwise.
func (r *Revocations) IsRevoked(ctx context.Context, sessionID string) (bool, error) {
	if r.live.Load() {
		r.mu.RLock()
		exp, ok := r.sids[sessionID]
		r.mu.RUnlock()
		return ok && time.Now().Before(exp), nil
	}
	return r.IsRevokedInRedis(ctx, sessionID)
}

// IsRevokedInRedis asks Redis, whatever the mirror's state. For checks
// that must not miss a revocation announced a moment ago, e.g. the
// re-check a gateway makes after registering a socket: a marker is set
// before its announcement, while the mirror learns it only when the
// announcement is read.
func (r *Revocations) IsRevokedInRedis(ctx context.Context, sessionID string) (bool, error) {
	n, err := r.rdb.Exists(ctx, revokedKeyPrefix+sessionID).Result()
	if err != nil {
		return false, fmt.Errorf("authn: check revocation: %w", err)
	}
	return n > 0, nil
}

// Live reports whether IsRevoked answers from memory.
func (r *Revocations) Live() bool { return r.live.Load() }

// Run keeps the in-memory mirror up to date until ctx is done, then
// returns nil. Failures take the mirror off line (IsRevoked falls back to
// Redis) and are retried; they are not returned. Run at most once at a time.
func (r *Revocations) Run(ctx context.Context) error {
	defer r.live.Store(false)
	for ctx.Err() == nil {
		r.follow(ctx)
		r.live.Store(false)
		select {
		case <-ctx.Done():
		case <-time.After(mirrorRetry):
		}
	}
	return nil
}

// follow runs one subscription until it breaks or ctx is done. The mirror
// goes live after the subscription is confirmed and the snapshot taken:
// a revocation is then either in the snapshot (marker set before the
// announcement) or announced on the subscription.
func (r *Revocations) follow(ctx context.Context) {
	ps := r.rdb.Subscribe(ctx, RevokedChannel)
	defer ps.Close()
	// A blocked receive does not watch ctx: closing unblocks it.
	defer context.AfterFunc(ctx, func() { _ = ps.Close() })()
	pingPending := false
	lastSweep := time.Now()
	for {
		if time.Since(lastSweep) > r.health {
			r.sweep()
			lastSweep = time.Now()
		}
		msg, err := ps.ReceiveTimeout(ctx, r.health)
		if err != nil {
			var ne net.Error
			if ctx.Err() == nil && errors.As(err, &ne) && ne.Timeout() && !pingPending {
				// Silence: make sure the connection is still there.
				pingPending = true
				if ps.Ping(ctx) == nil {
					continue
				}
			}
			return // broken, unanswered ping, or done: off line until resubscribed
		}
		pingPending = false
		switch m := msg.(type) {
		case *redis.Subscription:
			// Also sent by go-redis after it reconnected by itself: the
			// gap may have lost announcements, so snapshot again.
			r.live.Store(false)
			if m.Kind != "subscribe" {
				return
			}
			if err := r.snapshot(ctx); err != nil {
				return
			}
			r.live.Store(true)
		case *redis.Message:
			r.learn(ctx, m.Payload)
		}
	}
}

// learn adds an announced session at once (requests may be racing the
// announcement), then narrows its expiry to its marker's remaining TTL.
func (r *Revocations) learn(ctx context.Context, sid string) {
	r.mu.Lock()
	r.addLocked(sid, time.Now().Add(mirrorUnknownTTL))
	r.mu.Unlock()
	d, err := r.rdb.PTTL(ctx, revokedKeyPrefix+sid).Result()
	if err != nil || d <= 0 {
		return // kept long: harmless, a session is never un-revoked
	}
	r.mu.Lock()
	r.sids[sid] = time.Now().Add(d)
	r.mu.Unlock()
}

// snapshot adds every current marker to the mirror (on a Redis Cluster,
// every master's).
func (r *Revocations) snapshot(ctx context.Context) error {
	err := redisconn.ScanKeys(ctx, r.rdb, revokedKeyPrefix+"*", snapshotBatch, func(ctx context.Context, c redis.Cmdable, keys []string) error {
		cmds := make([]*redis.DurationCmd, len(keys))
		if _, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, k := range keys {
				cmds[i] = p.PTTL(ctx, k)
			}
			return nil
		}); err != nil {
			return err
		}
		now := time.Now()
		r.mu.Lock()
		defer r.mu.Unlock()
		for i, k := range keys {
			d := cmds[i].Val()
			switch {
			case d == -2: // expired since the SCAN
				continue
			case d < 0: // no TTL: keep it long
				d = mirrorUnknownTTL
			}
			r.addLocked(strings.TrimPrefix(k, revokedKeyPrefix), now.Add(d))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("authn: snapshot revocations: %w", err)
	}
	return nil
}

func (r *Revocations) addLocked(sid string, exp time.Time) {
	if old, ok := r.sids[sid]; !ok || exp.After(old) {
		r.sids[sid] = exp
	}
}

// sweep drops entries whose markers have expired, bounding the mirror by
// the revocations of the last token TTL.
func (r *Revocations) sweep() {
	now := time.Now()
	r.mu.Lock()
	for sid, exp := range r.sids {
		if !now.Before(exp) {
			delete(r.sids, sid)
		}
	}
	r.mu.Unlock()
}

// Window is how long a revocation matters: the access-token TTL plus the
// verification leeway (a marker's lifetime).
func (r *Revocations) Window() time.Duration { return r.ttl }

// Restore re-creates the markers of sessions revoked at the given times
// that Redis no longer has (it lost its data), each expiring when it would
// have, and announces those on RevokedChannel so running mirrors learn
// them too. Existing markers are left alone and not announced again. It
// returns how many were missing.
func (r *Revocations) Restore(ctx context.Context, revoked map[string]time.Time) (int, error) {
	now := time.Now()
	sids := make([]string, 0, len(revoked))
	cmds := make([]*redis.BoolCmd, 0, len(revoked))
	_, err := r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for sid, at := range revoked {
			left := at.Add(r.ttl).Sub(now)
			if left < time.Millisecond {
				continue
			}
			sids = append(sids, sid)
			cmds = append(cmds, p.SetNX(ctx, revokedKeyPrefix+sid, "1", left))
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("authn: restore revocations: %w", err)
	}
	var missing []string
	for i, c := range cmds {
		if c.Val() {
			missing = append(missing, sids[i])
		}
	}
	if len(missing) == 0 {
		return 0, nil
	}
	// Markers first (above), then announcements, as Revoke does.
	if _, err := r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, sid := range missing {
			p.Publish(ctx, RevokedChannel, sid)
		}
		return nil
	}); err != nil {
		return len(missing), fmt.Errorf("authn: announce restored revocations: %w", err)
	}
	if r.live.Load() {
		r.mu.Lock()
		for _, sid := range missing {
			r.addLocked(sid, revoked[sid].Add(r.ttl))
		}
		r.mu.Unlock()
	}
	return len(missing), nil
}
