package messagingtest

import (
	"context"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// ChangeMessage implements app.MessageChanger: the store's mutex stands in
// for the room lock.
func (s *Store) ChangeMessage(_ context.Context, id, userID string, change func(domain.Access, *domain.Message) (bool, error)) (domain.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for roomID, msgs := range s.messages {
		i := slices.IndexFunc(msgs, func(m domain.Message) bool { return m.ID == id })
		if i < 0 {
			continue
		}
		m := msgs[i]
		m.Reactions = slices.Clone(m.Reactions)
		acc := domain.Access{Room: *s.rooms[roomID], Role: s.role(roomID, userID)}
		changed, err := change(acc, &m)
		if err != nil {
			return domain.Message{}, err
		}
		if !changed {
			return msgs[i], nil
		}
		s.revs[roomID]++
		m.Rev = s.revs[roomID]
		msgs[i] = m
		s.record(domain.MessageUpdated(uuid.NewString(), m, time.Now().UTC()))
		return m, nil
	}
	return domain.Message{}, domain.ErrMessageNotFound
}
