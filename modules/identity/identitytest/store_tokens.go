package identitytest

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/chatforge/chat/modules/identity/internal/domain"
)

// CreateEmailToken implements app.EmailTokenStore.
func (s *Store) CreateEmailToken(_ context.Context, t domain.EmailToken) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.email[t.Hash] = t
	return nil
}

// VerifyEmail implements app.VerifyEmailStore.
func (s *Store) VerifyEmail(_ context.Context, h domain.TokenHash, fn func(*domain.EmailToken, *domain.User) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, u, err := s.tokenAndUser(h)
	if err != nil {
		return err
	}
	if err := fn(&t, &u); err != nil {
		return err
	}
	s.email[h], s.users[u.ID] = t, u
	return nil
}

// ResetPassword implements app.ResetPasswordStore.
func (s *Store) ResetPassword(_ context.Context, h domain.TokenHash, now time.Time, fn func(*domain.EmailToken, *domain.User) error) ([]uuid.UUID, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, u, err := s.tokenAndUser(h)
	if err != nil {
		return nil, err
	}
	if err := fn(&t, &u); err != nil {
		return nil, err
	}
	s.email[h], s.users[u.ID] = t, u
	for k, o := range s.email {
		if o.UserID == u.ID && o.Purpose == domain.PurposeReset && o.UsedAt == nil {
			o.UsedAt = &now
			s.email[k] = o
		}
	}
	return s.revokeAllLocked(u.ID, uuid.Nil, now), nil
}

// ChangePassword implements app.ChangePasswordStore.
func (s *Store) ChangePassword(_ context.Context, id, keep uuid.UUID, now time.Time, fn func(*domain.User) error) ([]uuid.UUID, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return nil, domain.ErrUserNotFound
	}
	if err := fn(&u); err != nil {
		return nil, err
	}
	s.users[id] = u
	return s.revokeAllLocked(id, keep, now), nil
}

// EmailTokens returns the stored e-mail tokens of a user, for assertions.
func (s *Store) EmailTokens(userID uuid.UUID) []domain.EmailToken {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []domain.EmailToken
	for _, t := range s.email {
		if t.UserID == userID {
			out = append(out, t)
		}
	}
	return out
}

func (s *Store) tokenAndUser(h domain.TokenHash) (domain.EmailToken, domain.User, error) {
	t, ok := s.email[h]
	if !ok {
		return t, domain.User{}, domain.ErrInvalidToken
	}
	return t, s.users[t.UserID], nil
}

func (s *Store) revokeAllLocked(userID, keep uuid.UUID, now time.Time) []uuid.UUID {
	var ids []uuid.UUID
	for id, sess := range s.sessions {
		if sess.UserID == userID && id != keep && sess.Live(now) {
			sess.Revoke(now)
			s.sessions[id] = sess
			ids = append(ids, id)
		}
	}
	return ids
}
