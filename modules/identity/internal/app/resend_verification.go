package app

import (
	"context"

	"github.com/google/uuid"

	"github.com/chatforge/chat/modules/identity/internal/domain"
)

// EmailTokenStore stores e-mail tokens for users found by id or address.
type EmailTokenStore interface {
	UserByID(ctx context.Context, id uuid.UUID) (domain.User, error)
	UserByEmail(ctx context.Context, email domain.Email) (domain.User, error)
	CreateEmailToken(ctx context.Context, t domain.EmailToken) error
}

// ResendVerification queues a fresh verification e-mail for the caller;
// earlier tokens stay valid until they expire. An already verified user
// gets nothing, and no error: the outcome they wanted already holds.
func (a *App) ResendVerification(ctx context.Context, userID uuid.UUID) error {
	u, err := a.store.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	if u.EmailVerified() {
		return nil
	}
	now := a.now()
	token, t := domain.NewEmailToken(u.ID, domain.PurposeVerify, now, a.cfg.VerifyTTL)
	if err := a.store.CreateEmailToken(ctx, t); err != nil {
		return err
	}
	a.sendAfterCommit(ctx, a.mail.SendVerification, "verify", mailFor(u, token, t.Hash))
	return nil
}
