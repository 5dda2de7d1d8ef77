package app

import (
	"context"

	"github.com/chatforge/chat/modules/identity/internal/domain"
)

// VerifyEmailStore owns the verification transaction.
type VerifyEmailStore interface {
	// VerifyEmail locks the e-mail token with hash h and its user, calls fn
	// and, when fn returns nil, persists both. An unknown hash yields
	// domain.ErrInvalidToken.
	VerifyEmail(ctx context.Context, h domain.TokenHash, fn func(*domain.EmailToken, *domain.User) error) error
}

// VerifyEmail spends a verification token and marks the address verified.
// Errors: domain.ErrInvalidToken (unknown, used, expired, wrong purpose).
func (a *App) VerifyEmail(ctx context.Context, token string) error {
	h, ok := domain.ParseToken(token)
	if !ok {
		return domain.ErrInvalidToken
	}
	now := a.now()
	return a.store.VerifyEmail(ctx, h, func(t *domain.EmailToken, u *domain.User) error {
		if err := t.Use(domain.PurposeVerify, now); err != nil {
			return err
		}
		u.MarkEmailVerified(now)
		return nil
	})
}
