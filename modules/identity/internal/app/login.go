package app

import (
	"context"
	"errors"
	"time"

	"github.com/chatforge/chat/modules/identity/internal/domain"
)

// LoginStore reads accounts and opens sessions.
type LoginStore interface {
	// UserByEmail returns domain.ErrUserNotFound when nobody has email.
	UserByEmail(ctx context.Context, email domain.Email) (domain.User, error)
	// CreateSession stores s with its first refresh token atomically.
	CreateSession(ctx context.Context, s domain.Session, first domain.RefreshToken) error
}

// LoginInput is a login request plus what the edge knows of the client.
type LoginInput struct {
	Email     string
	Password  string
	UserAgent string
	IP        string
	// DeviceName names the session's device (optional).
	DeviceName string
}

// Tokens is an access token and the refresh token that renews it.
type Tokens struct {
	AccessToken  string
	RefreshToken string
	ExpiresIn    time.Duration // access token lifetime
	SessionID    string
}

// Login checks the credentials and opens a session. Every failure of the
// credentials is domain.ErrInvalidCredentials and costs one argon2id run,
// whether the e-mail exists or not (see dummyHash).
func (a *App) Login(ctx context.Context, in LoginInput) (Tokens, domain.User, error) {
	email, err := domain.ParseEmail(in.Email)
	if err != nil {
		// The caller can see the address is malformed; nothing to hide.
		return Tokens{}, domain.User{}, domain.ErrInvalidCredentials
	}
	u, err := a.store.UserByEmail(ctx, email)
	switch {
	case errors.Is(err, domain.ErrUserNotFound) || (err == nil && u.IsBot):
		// A bot has no password: its reserved address logs in like an
		// unknown one.
		_, _ = a.hasher.Verify(in.Password, a.dummyHash)
		return Tokens{}, domain.User{}, domain.ErrInvalidCredentials
	case err != nil:
		return Tokens{}, domain.User{}, err
	}
	ok, err := a.hasher.Verify(in.Password, u.PasswordHash)
	if err != nil {
		return Tokens{}, domain.User{}, err
	}
	if !ok {
		return Tokens{}, domain.User{}, domain.ErrInvalidCredentials
	}
	now := a.now()
	s, err := domain.NewSession(u.ID, in.UserAgent, in.IP, now, a.cfg.RefreshTTL)
	if err != nil {
		return Tokens{}, domain.User{}, err
	}
	s.NameDevice(in.DeviceName)
	refresh, first := domain.NewRefreshToken(s.ID, now)
	if err := a.store.CreateSession(ctx, s, first); err != nil {
		return Tokens{}, domain.User{}, err
	}
	t, err := a.issue(s, refresh, now)
	return t, u, err
}

// issue signs an access token for s and pairs it with refresh.
func (a *App) issue(s domain.Session, refresh string, now time.Time) (Tokens, error) {
	// JWT times are whole seconds: signing at a whole second makes
	// ExpiresIn exactly the token TTL rather than a second short.
	at := now.Truncate(time.Second)
	access, exp, err := a.tokens.Sign(s.UserID.String(), s.ID.String(), at)
	if err != nil {
		return Tokens{}, err
	}
	return Tokens{AccessToken: access, RefreshToken: refresh, ExpiresIn: exp.Sub(at), SessionID: s.ID.String()}, nil
}
