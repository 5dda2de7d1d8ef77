package redis

import (
	"context"

	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/modules/messaging/wire"
)

// BlockMirror writes users' block lists for the gateways (wire.BlocksKey)
// and tells them (wire.BlocksChannel).
type BlockMirror struct{ rdb redis.UniversalClient }

// NewBlockMirror returns the mirror on rdb.
func NewBlockMirror(rdb redis.UniversalClient) *BlockMirror { return &BlockMirror{rdb: rdb} }

// MirrorBlocks replaces blockerID's set with blocked, atomically, then
// publishes blockerID.
func (m *BlockMirror) MirrorBlocks(ctx context.Context, blockerID string, blocked []string) error {
	key := wire.BlocksKey(blockerID)
	_, err := m.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, key)
		if len(blocked) > 0 {
			members := make([]any, len(blocked))
			for i, id := range blocked {
				members[i] = id
			}
			p.SAdd(ctx, key, members...)
		}
		p.Publish(ctx, wire.BlocksChannel, blockerID)
		return nil
	})
	return err
}
