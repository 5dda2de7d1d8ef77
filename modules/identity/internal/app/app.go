// Package app holds the identity use cases, one file each. A use case speaks
// to the outside only through the small ports declared next to it; Store
// gathers the persistence ports so one adapter (or one fake) serves them all.
// No HTTP, SQL or Redis here, and no HTTP status codes: failures are the
// domain's sentinel errors.
package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/chatforge/chat/modules/identity/internal/domain"
)

// Store is every persistence port of the use cases. Each embedded interface
// is declared in the file of the use case that needs it.
type Store interface {
	RegisterStore
	LoginStore
	RefreshStore
	SessionStore
	EmailTokenStore
	VerifyEmailStore
	ResetPasswordStore
	ProfileStore
	ChangePasswordStore
	RevokedSessionStore
}

// AccessTokens signs access tokens (a JWT in production: *authn.Signer).
type AccessTokens interface {
	Sign(userID, sessionID string, now time.Time) (token string, expiresAt time.Time, err error)
}

// Revoker tells every instance that sessions are dead, so access tokens
// already issued for them stop working before they expire
// (*authn.Revocations in production).
type Revoker interface {
	Revoke(ctx context.Context, sessionIDs ...string) error
}

// Config holds the lifetimes the use cases apply.
type Config struct {
	RefreshTTL time.Duration // session lifetime, fixed at login
	VerifyTTL  time.Duration // e-mail verification token
	// (Reset tokens are made by the worker: ResetResolver has their TTL.)
}

// Deps are what New needs. Log and Now may be nil.
type Deps struct {
	Store   Store
	Mailer  Mailer
	Resets  ResetRequests
	Tokens  AccessTokens
	Revoker Revoker
	Hasher  *domain.Hasher
	Config  Config
	Log     *slog.Logger
	Now     func() time.Time
}

// App runs the identity use cases. Safe for concurrent use.
type App struct {
	store   Store
	mail    Mailer
	resets  ResetRequests
	tokens  AccessTokens
	revoker Revoker
	hasher  *domain.Hasher
	cfg     Config
	log     *slog.Logger
	clock   func() time.Time

	// dummyHash is verified against when a login names an unknown e-mail,
	// so that case costs one argon2id run like a wrong password does and
	// response times do not reveal which accounts exist.
	dummyHash string
}

// New checks d and builds the App. It hashes the dummy password once, which
// costs one argon2id run at start-up.
func New(d Deps) (*App, error) {
	if d.Store == nil || d.Mailer == nil || d.Resets == nil || d.Tokens == nil || d.Revoker == nil || d.Hasher == nil {
		return nil, errors.New("identity app: Store, Mailer, Resets, Tokens, Revoker and Hasher are required")
	}
	if d.Config.RefreshTTL <= 0 || d.Config.VerifyTTL <= 0 {
		return nil, errors.New("identity app: RefreshTTL and VerifyTTL must be positive")
	}
	if d.Log == nil {
		d.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &App{
		store: d.Store, mail: d.Mailer, resets: d.Resets, tokens: d.Tokens, revoker: d.Revoker, hasher: d.Hasher,
		cfg: d.Config, log: d.Log, clock: d.Now,
		dummyHash: d.Hasher.Hash("dummy password, never matches a login"),
	}, nil
}

// Principal is the authenticated caller: the user and the session its
// access token belongs to.
type Principal struct {
	UserID    uuid.UUID
	SessionID uuid.UUID
}

// now is the clock in UTC at PostgreSQL's microsecond precision, so values
// read back from the database equal the ones written.
func (a *App) now() time.Time { return a.clock().UTC().Truncate(time.Microsecond) }

// revoke pushes session revocations to Redis after the database committed
// them. Callers choose whether a failure is fatal: the database revocation
// already stopped refreshes, so the worst case of ignoring it is that access
// tokens live on until they expire (the short access-token TTL).
func (a *App) revoke(ctx context.Context, ids []uuid.UUID) error {
	if len(ids) == 0 {
		return nil
	}
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = id.String()
	}
	if err := a.revoker.Revoke(ctx, s...); err != nil {
		a.log.ErrorContext(ctx, "publish session revocation", "sessions", s, "err", err)
		return err
	}
	return nil
}
