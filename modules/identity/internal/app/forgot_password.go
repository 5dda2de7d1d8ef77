package app

import (
	"context"
	"errors"

	"github.com/chatforge/chat/modules/identity/internal/domain"
)

// ForgotPassword queues a password-reset e-mail when email belongs to an
// account, and says nothing either way: the caller must not learn whether
// the account exists. (The known-account path does one insert and one queue
// write more; per-account and per-IP rate limits keep that timing signal
// from being worth mining.)
func (a *App) ForgotPassword(ctx context.Context, email string) error {
	addr, err := domain.ParseEmail(email)
	if err != nil {
		return err // shape errors reveal nothing about accounts
	}
	u, err := a.store.UserByEmail(ctx, addr)
	if errors.Is(err, domain.ErrUserNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	now := a.now()
	token, t := domain.NewEmailToken(u.ID, domain.PurposeReset, now, a.cfg.ResetTTL)
	if err := a.store.CreateEmailToken(ctx, t); err != nil {
		return err
	}
	a.sendAfterCommit(ctx, a.mail.SendPasswordReset, "reset", mailFor(u, token, t.Hash))
	return nil
}
