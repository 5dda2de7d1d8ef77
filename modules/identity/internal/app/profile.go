package app

import (
	"context"

	"github.com/google/uuid"

	"github.com/chatforge/chat/modules/identity/internal/domain"
)

// ProfileStore reads and updates a user.
type ProfileStore interface {
	// UserByID returns domain.ErrUserNotFound for an unknown id.
	UserByID(ctx context.Context, id uuid.UUID) (domain.User, error)
	// UpdateUser locks user id, calls fn and, when fn returns nil, persists
	// the user and returns it.
	UpdateUser(ctx context.Context, id uuid.UUID, fn func(*domain.User) error) (domain.User, error)
}

// Profile returns the caller's account.
func (a *App) Profile(ctx context.Context, userID uuid.UUID) (domain.User, error) {
	return a.store.UserByID(ctx, userID)
}

// UpdateProfile renames the caller. Errors: *domain.InvalidError.
func (a *App) UpdateProfile(ctx context.Context, userID uuid.UUID, displayName string) (domain.User, error) {
	name, err := domain.ParseDisplayName(displayName)
	if err != nil {
		return domain.User{}, err
	}
	now := a.now()
	return a.store.UpdateUser(ctx, userID, func(u *domain.User) error {
		u.Rename(name, now)
		return nil
	})
}
