// Package redisstate keeps the push fan-out's short-lived state in Redis:
// the pending (not yet pushed) message per recipient and room, and which
// events were already fanned out.
package redisstate

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/modules/notify/internal/app"
	"github.com/chatforge/chat/modules/notify/internal/domain"
)

// pendingTTL bounds how long an undelivered record lives (a user offline
// for a day gets no push about day-old messages).
const pendingTTL = 24 * time.Hour

// Pending implements app.PendingStore and app.PendingReader with one hash
// per (user, room): fields id, seq, sender, content, at (unix ms), count.
// The user id is the Redis Cluster hash tag.
type Pending struct{ rdb redis.UniversalClient }

var (
	_ app.PendingStore  = (*Pending)(nil)
	_ app.PendingReader = (*Pending)(nil)
)

// NewPending returns the store on rdb.
func NewPending(rdb redis.UniversalClient) *Pending { return &Pending{rdb: rdb} }

func pendingKey(userID, roomID string) string { return "push:pending:{" + userID + "}:" + roomID }

// addScript counts the message and keeps the newest one (by seq).
var addScript = redis.NewScript(`
redis.call('HINCRBY', KEYS[1], 'count', 1)
local cur = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
if tonumber(ARGV[2]) > cur then
  redis.call('HSET', KEYS[1], 'id', ARGV[1], 'seq', ARGV[2], 'sender', ARGV[3], 'content', ARGV[4], 'at', ARGV[5])
end
redis.call('PEXPIRE', KEYS[1], ARGV[6])
return 1`)

// settleScript removes what a push covered; a newer message stays, with
// the covered ones taken off its count.
var settleScript = redis.NewScript(`
local cur = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
if cur <= tonumber(ARGV[1]) then
  redis.call('DEL', KEYS[1])
else
  redis.call('HINCRBY', KEYS[1], 'count', -tonumber(ARGV[2]))
end
return 1`)

// unlockScript deletes the lock only if it still holds our token.
var unlockScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// Lock implements app.PendingReader.
func (p *Pending) Lock(ctx context.Context, userID, roomID string, ttl time.Duration) (func(), error) {
	key := pendingKey(userID, roomID) + ":lock"
	token := strconv.FormatInt(rand.Int64(), 36)
	ok, err := p.rdb.SetNX(ctx, key, token, ttl).Result()
	if err != nil || !ok {
		return nil, err
	}
	return func() {
		// Background: the lock must go even when the task was cancelled;
		// if this fails the TTL ends it.
		_ = unlockScript.Run(context.WithoutCancel(ctx), p.rdb, []string{key}, token).Err()
	}, nil
}

// Add implements app.PendingStore.
func (p *Pending) Add(ctx context.Context, userID, roomID string, m domain.PendingMessage) error {
	return addScript.Run(ctx, p.rdb, []string{pendingKey(userID, roomID)},
		m.MessageID, m.Seq, m.SenderID, m.Content, m.SentAt.UnixMilli(), pendingTTL.Milliseconds()).Err()
}

// Peek implements app.PendingReader.
func (p *Pending) Peek(ctx context.Context, userID, roomID string) (domain.PendingMessage, bool, error) {
	h, err := p.rdb.HGetAll(ctx, pendingKey(userID, roomID)).Result()
	if err != nil {
		return domain.PendingMessage{}, false, fmt.Errorf("pending push: %w", err)
	}
	if h["id"] == "" {
		return domain.PendingMessage{}, false, nil
	}
	seq, _ := strconv.ParseInt(h["seq"], 10, 64)
	count, _ := strconv.Atoi(h["count"])
	at, _ := strconv.ParseInt(h["at"], 10, 64)
	return domain.PendingMessage{
		MessageID: h["id"], Seq: seq, SenderID: h["sender"], Content: h["content"],
		SentAt: time.UnixMilli(at).UTC(), Count: max(count, 1),
	}, true, nil
}

// Settle implements app.PendingReader.
func (p *Pending) Settle(ctx context.Context, userID, roomID string, seq int64, count int) error {
	return settleScript.Run(ctx, p.rdb, []string{pendingKey(userID, roomID)}, seq, count).Err()
}

// Events remembers which message events were fanned out, so an event
// redelivered to the consumer group (a consumer died before XACK) is not
// counted twice.
type Events struct{ rdb redis.UniversalClient }

// NewEvents returns the record on rdb.
func NewEvents(rdb redis.UniversalClient) *Events { return &Events{rdb: rdb} }

// Seen reports whether eventID was handled already.
func (e *Events) Seen(ctx context.Context, eventID string) (bool, error) {
	n, err := e.rdb.Exists(ctx, "push:seen:"+eventID).Result()
	return n > 0, err
}

// MarkSeen records eventID as handled, after its work succeeded.
func (e *Events) MarkSeen(ctx context.Context, eventID string) error {
	return e.rdb.Set(ctx, "push:seen:"+eventID, 1, pendingTTL).Err()
}
