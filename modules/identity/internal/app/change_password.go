package app

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/chatforge/chat/modules/identity/internal/domain"
)

// ChangePasswordStore owns the password-change transaction.
type ChangePasswordStore interface {
	UserByID(ctx context.Context, id uuid.UUID) (domain.User, error)
	// ChangePassword locks user id, calls fn and, when fn returns nil,
	// persists the user and revokes every live session of the user but
	// keep, in one transaction. It returns the IDs it revoked.
	ChangePassword(ctx context.Context, id, keep uuid.UUID, now time.Time, fn func(*domain.User) error) ([]uuid.UUID, error)
}

// ChangePassword replaces the caller's password after checking the current
// one, and signs out the caller's other sessions (the current one stays, so
// the device making the change keeps working). Errors: domain.ErrWrongPassword,
// *domain.InvalidError (field newPassword).
func (a *App) ChangePassword(ctx context.Context, p Principal, current, newPassword string) error {
	pw, err := domain.ParsePassword(newPassword)
	if err != nil {
		return domain.RenameField(err, "newPassword")
	}
	u, err := a.store.UserByID(ctx, p.UserID)
	if err != nil {
		return err
	}
	ok, err := a.hasher.Verify(current, u.PasswordHash)
	if err != nil {
		return err
	}
	if !ok {
		return domain.ErrWrongPassword
	}
	// Hash outside the transaction; the check below makes the change
	// conditional on the hash we verified against, so a concurrent change
	// (another device, a reset) wins instead of being silently overwritten.
	hash := a.hasher.Hash(pw)
	verified := u.PasswordHash
	now := a.now()
	revoked, err := a.store.ChangePassword(ctx, p.UserID, p.SessionID, now, func(u *domain.User) error {
		if u.PasswordHash != verified {
			return domain.ErrWrongPassword
		}
		u.SetPasswordHash(hash, now)
		return nil
	})
	if err != nil {
		return err
	}
	// Retrying is impossible (the current password changed): log only.
	_ = a.revoke(ctx, revoked)
	return nil
}
