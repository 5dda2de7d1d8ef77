package app

import (
	"context"

	"github.com/chatforge/chat/modules/presence/internal/domain"
)

// Status tells whether a user is online and when they were last seen.
func (s *Service) Status(ctx context.Context, userID string) (domain.Presence, error) {
	return s.leases.Status(ctx, userID)
}
