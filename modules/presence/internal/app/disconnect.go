package app

import (
	"context"
	"errors"
	"time"

	"github.com/chatforge/chat/modules/presence/internal/domain"
)

// Disconnect ends a connection's lease; the user's last live connection
// makes them offline, with last seen = now. The connection stays marked
// released for a TTL, longer than any heartbeat that may still list it.
func (s *Service) Disconnect(ctx context.Context, c Conn) error {
	_, err := s.leases.Release(ctx, c.UserID, c.ConnID, s.now(), s.timing.TTL)
	return err
}

// BatchReleaser is a LeaseStore that can also end many leases in a few
// round trips, with Release's semantics for each (the Redis store does).
type BatchReleaser interface {
	// ReleaseMany releases the connections of leases (only UserID and
	// ConnID are read) as Release does each; it returns how many users
	// went offline.
	ReleaseMany(ctx context.Context, leases []domain.Lease, now time.Time, keep time.Duration) (int, error)
}

// DisconnectMany ends the leases of many connections at once (a gateway
// closing many sockets): each is released as by Disconnect, and each user
// whose last connection goes is announced offline once. Stores without
// ReleaseMany release one connection at a time. Connections with invalid
// ids are skipped and reported (ErrInvalid) after the others are released.
func (s *Service) DisconnectMany(ctx context.Context, conns []Conn) error {
	if len(conns) == 0 {
		return nil
	}
	now := s.now()
	// A connection with invalid ids never held a lease: it is skipped (and
	// reported), not allowed to hold back the others.
	var invalid error
	leases := make([]domain.Lease, 0, len(conns))
	for _, c := range conns {
		l, err := domain.NewLease(c.UserID, c.ConnID, now, s.timing.TTL)
		if err != nil {
			invalid = err
			continue
		}
		leases = append(leases, l)
	}
	if len(leases) == 0 {
		return invalid
	}
	if b, ok := s.leases.(BatchReleaser); ok {
		_, err := b.ReleaseMany(ctx, leases, now, s.timing.TTL)
		return errors.Join(err, invalid)
	}
	for _, l := range leases {
		if _, err := s.leases.Release(ctx, l.UserID, l.ConnID, now, s.timing.TTL); err != nil {
			return errors.Join(err, invalid)
		}
	}
	return invalid
}
