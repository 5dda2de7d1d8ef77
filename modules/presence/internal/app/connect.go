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
	leases, err := s.newLeases(c)
	if err != nil {
		return err
	}
	_, err = s.leases.Acquire(ctx, leases)
	return err
}

// Heartbeat renews the leases of live connections (a gateway calls it every
// Timing.Heartbeat for all of its connections). It only renews: a
// connection that closed after the caller listed it has released its
// lease, and renewing must not bring it back (the user would flap online
// after going offline). A lease that is missing for another reason - swept
// while the gateway could not reach Redis for a TTL - is taken again
// explicitly, which the store refuses for released connections, so the
// user of a live connection comes back online.
func (s *Service) Heartbeat(ctx context.Context, conns []Conn) error {
	if len(conns) == 0 {
		return nil
	}
	leases, err := s.newLeases(conns...)
	if err != nil {
		return err
	}
	missing, err := s.leases.Renew(ctx, leases)
	if err != nil || len(missing) == 0 {
		return err
	}
	_, err = s.leases.Acquire(ctx, missing)
	return err
}

// leases_ returns the leases of conns seen alive now.
func (s *Service) newLeases(conns ...Conn) ([]domain.Lease, error) {
	now := s.now()
	leases := make([]domain.Lease, 0, len(conns))
	for _, c := range conns {
		l, err := domain.NewLease(c.UserID, c.ConnID, now, s.timing.TTL)
		if err != nil {
			return nil, err
		}
		leases = append(leases, l)
	}
	return leases, nil
}
