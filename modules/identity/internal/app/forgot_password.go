package app

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/chatforge/chat/modules/identity/internal/domain"
)

// ResetRequest is a password-reset request handed to the worker: the
// address as typed (validated) and what the edge knew of the client, for
// the worker's logs.
type ResetRequest struct {
	Email     domain.Email
	IP        string
	UserAgent string
	RequestID string
}

// ResetRequests hands password-reset requests to the worker.
type ResetRequests interface {
	RequestPasswordReset(ctx context.Context, r ResetRequest) error
}

// ForgotPasswordInput is a forgot-password request and what the edge
// knows of the client.
type ForgotPasswordInput struct {
	Email, IP, UserAgent, RequestID string
}

// ForgotPassword validates the address and hands the request to the
// worker, and nothing else: whether an account has the address is decided
// there, so this does exactly the same work for a registered and an
// unregistered address and its timing says nothing about accounts. A
// malformed address is refused (that reveals nothing either).
func (a *App) ForgotPassword(ctx context.Context, in ForgotPasswordInput) error {
	addr, err := domain.ParseEmail(in.Email)
	if err != nil {
		return err
	}
	return a.resets.RequestPasswordReset(ctx, ResetRequest{
		Email: addr, IP: in.IP, UserAgent: in.UserAgent, RequestID: in.RequestID,
	})
}

// ResetResolverStore finds the account and stores the reset token.
type ResetResolverStore interface {
	UserByEmail(ctx context.Context, email domain.Email) (domain.User, error)
	CreateEmailToken(ctx context.Context, t domain.EmailToken) error
}

// ResetResolver is the worker's half of ForgotPassword: it resolves the
// address to an account and queues the reset e-mail, or does nothing when
// no account has it. Safe for concurrent use.
type ResetResolver struct {
	store ResetResolverStore
	mail  Mailer
	ttl   time.Duration
	now   func() time.Time
	log   *slog.Logger
}

// NewResetResolver returns a ResetResolver whose tokens last ttl.
func NewResetResolver(store ResetResolverStore, mail Mailer, ttl time.Duration, now func() time.Time, log *slog.Logger) *ResetResolver {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &ResetResolver{store: store, mail: mail, ttl: ttl, now: now, log: log}
}

// Resolve handles one request. An error is worth retrying (database or
// queue down); an unknown address is not an error.
func (r *ResetResolver) Resolve(ctx context.Context, req ResetRequest) error {
	u, err := r.store.UserByEmail(ctx, req.Email)
	if errors.Is(err, domain.ErrUserNotFound) || (err == nil && u.IsBot) {
		r.log.InfoContext(ctx, "password reset for an unknown address", "request_id", req.RequestID, "ip", req.IP)
		return nil
	}
	if err != nil {
		return err
	}
	token, t := domain.NewEmailToken(u.ID, domain.PurposeReset, r.now().UTC().Truncate(time.Microsecond), r.ttl)
	if err := r.store.CreateEmailToken(ctx, t); err != nil {
		return err
	}
	return r.mail.SendPasswordReset(ctx, mailFor(u, token, t.Hash))
}
