package authn

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// RevokedChannel is the Redis pub/sub channel on which Revoke publishes each
// revoked session id, so gateways close that session's sockets at once.
const RevokedChannel = "sessions:revoked"

const revokedKeyPrefix = "revoked:sid:"

// Revocations records revoked sessions in Redis, where every api and gateway
// instance sees them. A marker must outlive every access token of its
// session, so it is kept for the token TTL plus the verification leeway;
// after that the tokens are expired anyway and the key expires by itself.
// Safe for concurrent use.
type Revocations struct {
	rdb *redis.Client
	ttl time.Duration
}

// NewRevocations returns a Revocations whose markers cover tokens living ttl
// (the access token TTL).
func NewRevocations(rdb *redis.Client, ttl time.Duration) *Revocations {
	return &Revocations{rdb: rdb, ttl: ttl + leeway}
}

// Revoke marks the sessions revoked and announces each on RevokedChannel, in
// one round trip. Revoking an already revoked session extends its marker.
func (r *Revocations) Revoke(ctx context.Context, sessionIDs ...string) error {
	if len(sessionIDs) == 0 {
		return nil
	}
	// Markers before announcements within the pipeline: a gateway reacting
	// to the message and re-checking must already find the marker.
	_, err := r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, sid := range sessionIDs {
			p.Set(ctx, revokedKeyPrefix+sid, "1", r.ttl)
		}
		for _, sid := range sessionIDs {
			p.Publish(ctx, RevokedChannel, sid)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("authn: revoke sessions: %w", err)
	}
	return nil
}

// IsRevoked reports whether the session was revoked.
func (r *Revocations) IsRevoked(ctx context.Context, sessionID string) (bool, error) {
	n, err := r.rdb.Exists(ctx, revokedKeyPrefix+sessionID).Result()
	if err != nil {
		return false, fmt.Errorf("authn: check revocation: %w", err)
	}
	return n > 0, nil
}
