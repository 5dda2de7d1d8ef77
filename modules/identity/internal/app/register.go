package app

import (
	"context"
	"errors"

	"github.com/chatforge/chat/modules/identity/internal/domain"
)

// RegisterStore persists a new user.
type RegisterStore interface {
	// CreateUser stores u and its first verification token atomically.
	// A duplicate e-mail yields domain.ErrEmailTaken.
	CreateUser(ctx context.Context, u domain.User, verify domain.EmailToken) error
}

// RegisterInput is a sign-up request, as typed by the client.
type RegisterInput struct {
	Email       string
	Password    string
	DisplayName string
}

// Register creates an unverified account and queues its verification
// e-mail. Errors: *domain.InvalidError, domain.ErrEmailTaken.
func (a *App) Register(ctx context.Context, in RegisterInput) (domain.User, error) {
	// Validate every field before answering, so the client sees all of
	// its mistakes at once (errors.Join keeps each *domain.InvalidError).
	email, errEmail := domain.ParseEmail(in.Email)
	pw, errPassword := domain.ParsePassword(in.Password)
	name, errName := domain.ParseDisplayName(in.DisplayName)
	if err := errors.Join(errEmail, errPassword, errName); err != nil {
		return domain.User{}, err
	}
	now := a.now()
	u, err := domain.NewUser(email, name, a.hasher.Hash(pw), now)
	if err != nil {
		return domain.User{}, err
	}
	token, verify := domain.NewEmailToken(u.ID, domain.PurposeVerify, now, a.cfg.VerifyTTL)
	if err := a.store.CreateUser(ctx, u, verify); err != nil {
		return domain.User{}, err
	}
	a.sendAfterCommit(ctx, a.mail.SendVerification, "verify", mailFor(u, token, verify.Hash))
	return u, nil
}
