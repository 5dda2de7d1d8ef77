package redis

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// Snapshots implements app.SyncSnapshots: one string key per token,
// prefix + "{" + userID + "}:" + token, holding the rooms' states as JSON
// {roomId: [lastSeq, rev, readSeq]}, expiring after ttl. A token is a
// random 128-bit value and the key names its user, so a token is unknown
// to anyone else.
type Snapshots struct {
	rdb    redis.UniversalClient
	prefix string
	ttl    time.Duration
	grace  time.Duration
}

// SyncGrace is how long a spent token still works, for a client whose
// answer was lost.
const SyncGrace = 10 * time.Minute

// NewSnapshots returns the store; tokens live ttl.
func NewSnapshots(rdb redis.UniversalClient, prefix string, ttl time.Duration) *Snapshots {
	return &Snapshots{rdb: rdb, prefix: prefix, ttl: ttl, grace: min(SyncGrace, ttl)}
}

func (s *Snapshots) key(userID, token string) string {
	return s.prefix + "{" + userID + "}:" + token
}

// Load implements app.SyncSnapshots.
func (s *Snapshots) Load(ctx context.Context, userID, token string) (map[string]domain.RoomState, bool, error) {
	b, err := s.rdb.Get(ctx, s.key(userID, token)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, err
	}
	var raw map[string][3]int64
	if json.Unmarshal(b, &raw) != nil {
		return nil, false, nil // unreadable: as unknown, the client gets a full state
	}
	out := make(map[string]domain.RoomState, len(raw))
	for id, v := range raw {
		out[id] = domain.RoomState{RoomID: id, LastSeq: v[0], Rev: v[1], ReadSeq: v[2]}
	}
	return out, true, nil
}

// Save implements app.SyncSnapshots. The spent token keeps a grace period
// (never lengthened: EXPIRE ... LT).
func (s *Snapshots) Save(ctx context.Context, userID, token, prev string, snap []domain.RoomState) error {
	raw := make(map[string][3]int64, len(snap))
	for _, r := range snap {
		raw[r.RoomID] = [3]int64{r.LastSeq, r.Rev, r.ReadSeq}
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return err
	}
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, s.key(userID, token), b, s.ttl)
		if prev != "" {
			p.ExpireLT(ctx, s.key(userID, prev), s.grace)
		}
		return nil
	})
	return err
}
