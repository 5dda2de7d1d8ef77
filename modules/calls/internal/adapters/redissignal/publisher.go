// Package redissignal publishes call frames on the Redis channel the
// gateways subscribe to (signal.Channel).
package redissignal

import (
	"context"

	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/modules/calls/signal"
)

// Publisher publishes signals with PUBLISH (one pipeline per call).
type Publisher struct{ rdb redis.UniversalClient }

// New returns a publisher on rdb.
func New(rdb redis.UniversalClient) *Publisher { return &Publisher{rdb: rdb} }

// Publish sends every signal, in order, in one round trip.
func (p *Publisher) Publish(ctx context.Context, sigs ...signal.Signal) error {
	_, err := p.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for _, s := range sigs {
			b, err := s.Encode()
			if err != nil {
				return err
			}
			pipe.Publish(ctx, signal.Channel, b)
		}
		return nil
	})
	return err
}
