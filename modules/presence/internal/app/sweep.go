package app

import (
	"context"
	"log/slog"
	"time"
)

// sweepBatch bounds the leases one sweep call removes.
const sweepBatch = 1000

// Sweep removes every lease that expired (connections of a gateway that died
// without a goodbye). Any number of gateways may sweep at once.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := s.leases.Expire(ctx, s.now(), s.timing.TTL, sweepBatch)
		total += n
		if err != nil || n < sweepBatch {
			return total, err
		}
	}
}

// RunSweeper sweeps every Timing.Sweep until ctx is done. Errors are logged
// and retried at the next tick: a sweep that fails only delays offlines.
func (s *Service) RunSweeper(ctx context.Context, log *slog.Logger) error {
	t := time.NewTicker(s.timing.Sweep)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if _, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
				log.WarnContext(ctx, "presence sweep failed", "err", err)
			}
		}
	}
}
