package app

import "context"

// Disconnect ends a connection's lease; the user's last live connection
// makes them offline, with last seen = now.
func (s *Service) Disconnect(ctx context.Context, c Conn) error {
	_, err := s.leases.Release(ctx, c.UserID, c.ConnID, s.now())
	return err
}
