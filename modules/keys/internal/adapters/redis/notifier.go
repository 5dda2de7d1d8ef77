// Package redis is the key directory's Redis adapter: it publishes
// device-keys changes on the pub/sub channel every gateway reads.
package redis

import (
	"context"
	"encoding/json"

	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/modules/keys/keyswire"
)

// Notifier implements app.Notifier.
type Notifier struct{ rdb redis.UniversalClient }

// New returns the notifier.
func New(rdb redis.UniversalClient) *Notifier { return &Notifier{rdb: rdb} }

// DevicesChanged publishes one keyswire.Change.
func (n *Notifier) DevicesChanged(ctx context.Context, userID string, to []string) error {
	b, err := json.Marshal(keyswire.Change{UserID: userID, To: to})
	if err != nil {
		return err
	}
	return n.rdb.Publish(ctx, keyswire.Channel, b).Err()
}
