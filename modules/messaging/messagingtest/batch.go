package messagingtest

import (
	"context"

	"github.com/chatforge/chat/modules/messaging/internal/app"
	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// Accesses implements app.BatchAppender.
func (s *Store) Accesses(_ context.Context, keys []app.AccessKey) (map[app.AccessKey]domain.Access, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[app.AccessKey]domain.Access, len(keys))
	for _, k := range keys {
		if r, ok := s.rooms[k.RoomID]; ok {
			out[k] = domain.Access{Room: *r, Role: s.role(k.RoomID, k.UserID)}
		}
	}
	return out, nil
}

// AppendBatch implements app.BatchAppender: Append for each message in
// order, under one hold of the mutex (the fake's transaction).
func (s *Store) AppendBatch(_ context.Context, msgs []domain.Message) ([]app.Appended, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.FailNextAppend; err != nil {
		s.FailNextAppend = nil
		return nil, err
	}
	out := make([]app.Appended, len(msgs))
	for i, m := range msgs {
		stored, created, err := s.append(m)
		out[i] = app.Appended{Message: stored, Created: created, Err: err}
	}
	return out, nil
}
