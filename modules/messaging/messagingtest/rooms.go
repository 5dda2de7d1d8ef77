package messagingtest

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chatforge/chat/modules/messaging/internal/app"
	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// Create implements app.RoomWriter.
func (s *Store) Create(_ context.Context, room domain.Room, members []domain.Member) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range members {
		if !s.users[m.UserID] {
			return domain.ErrUserNotFound
		}
	}
	room.MemberCount = len(members)
	s.rooms[room.ID] = &room
	s.members[room.ID] = map[string]domain.Member{}
	for _, m := range members {
		s.members[room.ID][m.UserID] = m
		action := domain.ActionAdded
		if m.UserID == room.OwnerID {
			action = domain.ActionJoined
		}
		s.record(domain.MembershipChanged(uuid.NewString(), domain.Change{
			RoomID: room.ID, UserID: m.UserID, By: room.OwnerID, Action: action, Role: m.Role}, room.CreatedAt))
	}
	return nil
}

// OpenDirect implements app.RoomWriter.
func (s *Store) OpenDirect(_ context.Context, room domain.Room, by string) (domain.Room, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.rooms {
		if r.Kind == domain.KindDirect && r.Pair == room.Pair {
			return *r, false, nil
		}
	}
	if !s.users[room.Pair[0]] || !s.users[room.Pair[1]] {
		return domain.Room{}, false, domain.ErrUserNotFound
	}
	room.MemberCount = 2
	s.rooms[room.ID] = &room
	s.members[room.ID] = map[string]domain.Member{}
	for _, u := range []string{by, room.Peer(by)} {
		s.members[room.ID][u] = domain.Member{UserID: u, Role: domain.RoleMember, JoinedAt: room.CreatedAt}
		action := domain.ActionAdded
		if u == by {
			action = domain.ActionJoined
		}
		s.record(domain.MembershipChanged(uuid.NewString(), domain.Change{
			RoomID: room.ID, UserID: u, By: by, Action: action, Role: domain.RoleMember}, room.CreatedAt))
	}
	return room, true, nil
}

func (s *Store) view(r *domain.Room, userID string) domain.RoomView {
	v := domain.RoomView{Room: *r, Role: s.role(r.ID, userID), LastRead: s.receipts[[2]string{r.ID, userID}]}
	if msgs := s.messages[r.ID]; len(msgs) > 0 {
		last := msgs[len(msgs)-1]
		v.LastMessage = &last
	}
	return v
}

// View implements app.RoomReader.
func (s *Store) View(_ context.Context, roomID, userID string) (domain.RoomView, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.rooms[roomID]
	if !ok {
		return domain.RoomView{}, domain.ErrNotFound
	}
	return s.view(r, userID), nil
}

// Members implements app.RoomReader.
func (s *Store) Members(_ context.Context, roomID string, q domain.ListQuery) ([]domain.Member, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []domain.Member
	for _, m := range s.members[roomID] {
		if m.UserID > q.After {
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UserID < out[j].UserID })
	return out[:min(len(out), q.Limit)], nil
}

// Mine implements app.RoomLister.
func (s *Store) Mine(_ context.Context, userID string, q domain.ListQuery) ([]domain.RoomView, error) {
	return s.list(userID, q, func(r *domain.Room) bool {
		return r.Kind == domain.KindGlobal || s.role(r.ID, userID) != domain.RoleNone
	})
}

// Public implements app.RoomLister.
func (s *Store) Public(_ context.Context, userID, filter string, q domain.ListQuery) ([]domain.RoomView, error) {
	return s.list(userID, q, func(r *domain.Room) bool {
		return r.Kind == domain.KindPublic && strings.Contains(strings.ToLower(r.Name), strings.ToLower(filter))
	})
}

func (s *Store) list(userID string, q domain.ListQuery, keep func(*domain.Room) bool) ([]domain.RoomView, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []domain.RoomView
	for _, r := range s.rooms {
		if r.ID > q.After && keep(r) {
			out = append(out, s.view(r, userID))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Room.ID < out[j].Room.ID })
	return out[:min(len(out), q.Limit)], nil
}

// ChangeMembership implements app.MembershipChanger.
func (s *Store) ChangeMembership(_ context.Context, roomID, actorID, targetID string, decide app.Decide) (domain.Change, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.rooms[roomID]
	if !ok {
		return domain.Change{}, domain.ErrNotFound
	}
	c, err := decide(domain.Access{Room: *r, Role: s.role(roomID, actorID)}, s.role(roomID, targetID))
	if err != nil || c.Noop {
		return c, err
	}
	now := time.Now().UTC()
	k := [2]string{roomID, c.UserID}
	if c.Adds() {
		if !s.users[c.UserID] {
			return domain.Change{}, domain.ErrUserNotFound
		}
		s.members[roomID][c.UserID] = domain.Member{UserID: c.UserID, Role: c.Role, JoinedAt: now}
		s.receipts[k] = max(s.receipts[k], r.LastSeq)
		r.MemberCount++
	} else {
		delete(s.members[roomID], c.UserID)
		delete(s.receipts, k)
		r.MemberCount--
	}
	s.record(domain.MembershipChanged(uuid.NewString(), c, now))
	return c, nil
}
