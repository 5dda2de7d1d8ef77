package messagingtest

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// ChangeMessageLogged implements app.MessageChanger; the fake keeps no
// moderation log.
func (s *Store) ChangeMessageLogged(ctx context.Context, id, userID string, change func(domain.Access, *domain.Message) (bool, *domain.ModEntry, error)) (domain.Message, error) {
	return s.ChangeMessage(ctx, id, userID, func(acc domain.Access, m *domain.Message) (bool, error) {
		changed, _, err := change(acc, m)
		return changed, err
	})
}

// Block implements app.BlockStore.
func (s *Store) Block(_ context.Context, blockerID, blockedID string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.users[blockedID] {
		return domain.ErrUserNotFound
	}
	if s.blocks == nil {
		s.blocks = map[[2]string]time.Time{}
	}
	if _, ok := s.blocks[[2]string{blockerID, blockedID}]; !ok {
		s.blocks[[2]string{blockerID, blockedID}] = at
	}
	return nil
}

// Unblock implements app.BlockStore.
func (s *Store) Unblock(_ context.Context, blockerID, blockedID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.blocks, [2]string{blockerID, blockedID})
	return nil
}

// Blocks implements app.BlockStore.
func (s *Store) Blocks(_ context.Context, blockerID string, q domain.ListQuery) ([]domain.Block, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []domain.Block
	for k, at := range s.blocks {
		if k[0] == blockerID && k[1] > q.After {
			out = append(out, domain.Block{UserID: k[1], CreatedAt: at})
		}
	}
	slices.SortFunc(out, func(a, b domain.Block) int { return strings.Compare(a.UserID, b.UserID) })
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, nil
}

// BlockedEither implements app.BlockStore.
func (s *Store) BlockedEither(_ context.Context, a, b string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ab := s.blocks[[2]string{a, b}]
	_, ba := s.blocks[[2]string{b, a}]
	return ab || ba, nil
}
