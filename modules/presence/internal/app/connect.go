package app

import (
	"context"

	"github.com/chatforge/chat/modules/presence/internal/domain"
)

// Conn names one live connection of a user.
type Conn struct {
	UserID string
	ConnID string
}

// Connect takes a lease for a new connection; the user's first live
// connection makes them online.
func (s *Service) Connect(ctx context.Context, c Conn) error {
	return s.Heartbeat(ctx, []Conn{c})
}

// Heartbeat renews the leases of live connections (a gateway calls it every
// Timing.Heartbeat for all of its connections). A lease that was swept in
// the meantime (the gateway could not reach Redis for a TTL) is taken
// again, so the user comes back online.
func (s *Service) Heartbeat(ctx context.Context, conns []Conn) error {
	if len(conns) == 0 {
		return nil
	}
	now := s.now()
	leases := make([]domain.Lease, 0, len(conns))
	for _, c := range conns {
		l, err := domain.NewLease(c.UserID, c.ConnID, now, s.timing.TTL)
		if err != nil {
			return err
		}
		leases = append(leases, l)
	}
	_, err := s.leases.Acquire(ctx, leases)
	return err
}
