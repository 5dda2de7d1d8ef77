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
	return s.changeLocked(id, userID, change)
}

func (s *Store) changeLocked(id, userID string, change func(domain.Access, *domain.Message) (bool, error)) (domain.Message, error) {
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
		if m.Deleted() {
			delete(s.reacts, m.ID)
		}
		s.record(domain.MessageUpdated(uuid.NewString(), m, time.Now().UTC()))
		return m, nil
	}
	return domain.Message{}, domain.ErrMessageNotFound
}

// React implements app.ReactionWriter.
func (s *Store) React(_ context.Context, id, userID, emoji string, add bool, check func(domain.Access, domain.Message) error) (domain.Message, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	changed := false
	m, err := s.changeLocked(id, userID, func(acc domain.Access, m *domain.Message) (bool, error) {
		if err := check(acc, *m); err != nil {
			return false, err
		}
		rs := s.reacts[id]
		i := slices.IndexFunc(rs, func(r domain.Reaction) bool { return r.UserID == userID && r.Emoji == emoji })
		switch {
		case add && i < 0:
			if err := m.AddReaction(emoji); err != nil {
				return false, err
			}
			s.reacts[id] = append(rs, domain.Reaction{Emoji: emoji, UserID: userID, CreatedAt: time.Now().UTC()})
			changed = true
		case !add && i >= 0:
			m.RemoveReaction(emoji)
			s.reacts[id] = slices.Delete(rs, i, i+1)
			changed = true
		}
		return changed, nil
	})
	return m, changed, err
}

// Reactions implements app.ReactionWriter.
func (s *Store) Reactions(_ context.Context, id, userID string, limit int, check func(domain.Access) error) ([]domain.Reaction, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for roomID, msgs := range s.messages {
		if !slices.ContainsFunc(msgs, func(m domain.Message) bool { return m.ID == id }) {
			continue
		}
		if err := check(domain.Access{Room: *s.rooms[roomID], Role: s.role(roomID, userID)}); err != nil {
			return nil, err
		}
		rs := s.reacts[id]
		return slices.Clone(rs[:min(len(rs), limit)]), nil
	}
	return nil, domain.ErrMessageNotFound
}

// Parents implements app.ReplyParents.
func (s *Store) Parents(_ context.Context, ids []string) (map[string]domain.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]domain.Message{}
	for _, msgs := range s.messages {
		for _, m := range msgs {
			if slices.Contains(ids, m.ID) {
				out[m.ID] = m
			}
		}
	}
	return out, nil
}

// countReply adds one to the reply count of message id.
func (s *Store) countReply(id string) {
	for _, msgs := range s.messages {
		for i := range msgs {
			if msgs[i].ID == id {
				msgs[i].ReplyCount++
				return
			}
		}
	}
}

// Thread implements app.ThreadReader.
func (s *Store) Thread(_ context.Context, roomID, parentID string, after int64, limit int) ([]domain.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []domain.Message
	for _, m := range s.messages[roomID] {
		if m.ReplyTo == parentID && m.Seq > after && len(out) < limit {
			out = append(out, m)
		}
	}
	return out, nil
}

// ChangedSince implements app.ChangeReader.
func (s *Store) ChangedSince(_ context.Context, roomID string, since int64, limit int) ([]domain.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []domain.Message
	for _, m := range s.messages[roomID] {
		if m.Rev > since {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b domain.Message) int { return int(a.Rev - b.Rev) })
	return out[:min(len(out), limit)], nil
}
