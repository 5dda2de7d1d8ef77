package app

import (
	"context"

	"github.com/chatforge/chat/modules/presence/internal/domain"
)

// Typing announces that a user started or stopped typing in a room. It
// goes to every gateway through Redis only; receivers expire a start that
// is not refreshed (domain.TypingTable).
func (s *Service) Typing(ctx context.Context, t domain.Typing) error {
	return s.typing.PublishTyping(ctx, t)
}
