package app

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/chatforge/chat/modules/identity/internal/domain"
)

// ResetPasswordStore owns the reset transaction.
type ResetPasswordStore interface {
	// ResetPassword locks the e-mail token with hash h and its user, calls
	// fn and, when fn returns nil, persists both, spends every other unused
	// reset token of the user and revokes all the user's live sessions, in
	// one transaction. It returns the IDs of the sessions it revoked. An
	// unknown hash yields domain.ErrInvalidToken.
	ResetPassword(ctx context.Context, h domain.TokenHash, now time.Time, fn func(*domain.EmailToken, *domain.User) error) ([]uuid.UUID, error)
}

// ResetPassword sets a new password with a reset token and signs the user
// out everywhere: whoever knew the old password loses every session.
// Errors: *domain.InvalidError (field newPassword), domain.ErrInvalidToken.
func (a *App) ResetPassword(ctx context.Context, token, newPassword string) error {
	pw, err := domain.ParsePassword(newPassword)
	if err != nil {
		return domain.RenameField(err, "newPassword")
	}
	h, ok := domain.ParseToken(token)
	if !ok {
		return domain.ErrInvalidToken
	}
	hash := a.hasher.Hash(pw) // before the transaction: no lock held while hashing
	now := a.now()
	revoked, err := a.store.ResetPassword(ctx, h, now, func(t *domain.EmailToken, u *domain.User) error {
		if err := t.Use(domain.PurposeReset, now); err != nil {
			return err
		}
		u.SetPasswordHash(hash, now)
		return nil
	})
	if err != nil {
		return err
	}
	// The token is spent, so the request cannot be retried: a Redis failure
	// is logged only (see revoke).
	_ = a.revoke(ctx, revoked)
	return nil
}
