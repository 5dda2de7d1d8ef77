package identitytest

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/chatforge/chat/modules/identity/internal/domain"
)

// Store is an in-memory app.Store. The zero value is not usable; call
// NewStore.
type Store struct {
	mu       sync.Mutex
	users    map[uuid.UUID]domain.User
	sessions map[uuid.UUID]domain.Session
	refresh  map[domain.TokenHash]domain.RefreshToken
	email    map[domain.TokenHash]domain.EmailToken
}

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{
		users:    map[uuid.UUID]domain.User{},
		sessions: map[uuid.UUID]domain.Session{},
		refresh:  map[domain.TokenHash]domain.RefreshToken{},
		email:    map[domain.TokenHash]domain.EmailToken{},
	}
}

// CreateUser implements app.RegisterStore.
func (s *Store) CreateUser(_ context.Context, u domain.User, verify domain.EmailToken) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.users {
		if o.Email == u.Email {
			return domain.ErrEmailTaken
		}
	}
	s.users[u.ID] = u
	s.email[verify.Hash] = verify
	return nil
}

// UserByEmail implements app.LoginStore.
func (s *Store) UserByEmail(_ context.Context, email domain.Email) (domain.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.users {
		if u.Email == email {
			return u, nil
		}
	}
	return domain.User{}, domain.ErrUserNotFound
}

// UserByID implements app.ProfileStore.
func (s *Store) UserByID(_ context.Context, id uuid.UUID) (domain.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return domain.User{}, domain.ErrUserNotFound
	}
	return u, nil
}

// UpdateUser implements app.ProfileStore.
func (s *Store) UpdateUser(_ context.Context, id uuid.UUID, fn func(*domain.User) error) (domain.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return domain.User{}, domain.ErrUserNotFound
	}
	if err := fn(&u); err != nil {
		return domain.User{}, err
	}
	s.users[id] = u
	return u, nil
}

// CreateSession implements app.LoginStore.
func (s *Store) CreateSession(_ context.Context, sess domain.Session, first domain.RefreshToken) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions[sess.ID] = sess
	s.refresh[first.Hash] = first
	return nil
}

// RotateRefresh implements app.RefreshStore.
func (s *Store) RotateRefresh(_ context.Context, h domain.TokenHash, fn func(*domain.Rotation) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.refresh[h]
	if !ok {
		return domain.ErrInvalidRefreshToken
	}
	r := domain.Rotation{Token: t, Session: s.sessions[t.SessionID]}
	if err := fn(&r); err != nil {
		return err
	}
	s.refresh[h] = r.Token
	s.sessions[r.Session.ID] = r.Session
	if r.Next != nil {
		s.refresh[r.Next.Hash] = *r.Next
	}
	return nil
}

// ListSessions implements app.SessionStore.
func (s *Store) ListSessions(_ context.Context, userID uuid.UUID, now time.Time) ([]domain.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []domain.Session
	for _, sess := range s.sessions {
		if sess.UserID == userID && sess.Live(now) {
			out = append(out, sess)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, nil
}

// RevokeSession implements app.SessionStore.
func (s *Store) RevokeSession(_ context.Context, userID, id uuid.UUID, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[id]
	if !ok || sess.UserID != userID || !sess.Live(now) {
		return domain.ErrSessionNotFound
	}
	sess.Revoke(now)
	s.sessions[id] = sess
	return nil
}

// RevokedSince implements app.RevokedSessionStore.
func (s *Store) RevokedSince(_ context.Context, since time.Time) (map[uuid.UUID]time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[uuid.UUID]time.Time{}
	for id, sess := range s.sessions {
		if sess.RevokedAt != nil && sess.RevokedAt.After(since) {
			out[id] = *sess.RevokedAt
		}
	}
	return out, nil
}

// Session returns a stored session, for assertions.
func (s *Store) Session(id uuid.UUID) (domain.Session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[id]
	return sess, ok
}
