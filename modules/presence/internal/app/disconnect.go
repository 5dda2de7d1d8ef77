package app

import "context"

// Disconnect ends a connection's lease; the user's last live connection
// makes them offline, with last seen = now. The connection stays marked
// released for a TTL, longer than any heartbeat that may still list it.
func (s *Service) Disconnect(ctx context.Context, c Conn) error {
	_, err := s.leases.Release(ctx, c.UserID, c.ConnID, s.now(), s.timing.TTL)
	return err
}
