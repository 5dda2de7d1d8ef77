package identity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"

	"github.com/chatforge/chat/modules/identity/internal/adapters/mailqueue"
	"github.com/chatforge/chat/modules/identity/internal/adapters/postgres"
	"github.com/chatforge/chat/modules/identity/internal/app"
	"github.com/chatforge/chat/modules/identity/internal/domain"
	"github.com/chatforge/chat/modules/identity/internal/ports/httpapi"
	"github.com/chatforge/chat/platform/authn"
	"github.com/chatforge/chat/platform/ratelimit"
)

// Deps are the module's collaborators, built by the app that wires it.
// DB, Jobs, Signer and Revocations are required. Limiter may be nil (no
// /api/auth rate limits); Log nil discards; Now nil is time.Now. Redis and
// Verifier are accepted for the contract's sake but unused: revocations go
// through Revocations, and access tokens are checked by the auth
// middleware the app passes to Routes.
type Deps struct {
	DB          *gorm.DB
	Redis       redis.UniversalClient
	Jobs        *asynq.Client
	Signer      *authn.Signer
	Verifier    *authn.Verifier
	Revocations *authn.Revocations
	Limiter     *ratelimit.Limiter
	Log         *slog.Logger
	Config      Config
	Now         func() time.Time
}

// Module is the wired identity module.
type Module struct {
	http        *httpapi.Handler
	app         *app.App
	revocations *authn.Revocations
	log         *slog.Logger
}

// New checks d, applies Config defaults and wires the module. It runs one
// argon2id hash (the login timing dummy), so it takes as long as a login.
func New(d Deps) (*Module, error) {
	if d.DB == nil || d.Jobs == nil || d.Signer == nil || d.Revocations == nil {
		return nil, errors.New("identity: Deps.DB, Jobs, Signer and Revocations are required")
	}
	cfg, err := d.Config.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("identity: config: %w", err)
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	hasher, err := domain.NewHasher(cfg.Hash.domain())
	if err != nil {
		return nil, fmt.Errorf("identity: config: %w", err)
	}
	mailer, err := mailqueue.New(d.Jobs, cfg.PublicBaseURL)
	if err != nil {
		return nil, fmt.Errorf("identity: config: %w", err)
	}
	a, err := app.New(app.Deps{
		Store: postgres.New(d.DB), Mailer: mailer, Resets: mailer, Tokens: d.Signer, Revoker: d.Revocations, Hasher: hasher,
		Config: app.Config{RefreshTTL: cfg.RefreshTTL, VerifyTTL: cfg.VerifyTTL},
		Log:    d.Log, Now: d.Now,
	})
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	limits := httpapi.Limits{
		PerIP: cfg.AuthLimitPerIP, PerAccount: cfg.AuthLimitPerAccount,
		LoginFailuresPerAddress: cfg.LoginFailuresPerAddress, LoginFailuresPerAccount: cfg.LoginFailuresPerAccount,
	}
	return &Module{http: httpapi.New(a, d.Limiter, limits, d.Log), app: a, revocations: d.Revocations, log: d.Log}, nil
}

// Routes mounts /api/auth/* and /api/user/* on r. auth is the access-token
// middleware (authn.Middleware): it guards /api/auth/logout,
// /api/auth/verify-email/resend and /api/user/*. userLimit, the per-user
// rate limit, runs after auth on those same authenticated routes except
// logout (signing out must always work). /api/auth/* is also limited per
// IP, register and password/forgot per account, and login by its failures
// (see Config), with Deps.Limiter.
func (m *Module) Routes(r gin.IRouter, auth gin.HandlerFunc, userLimit gin.HandlerFunc) {
	m.http.Routes(r, auth, userLimit)
}

// ReseedRevocations copies the session revocations of the last
// access-token lifetime from PostgreSQL back into Redis (see
// RunRevocationReseed); it returns how many were missing there.
func (m *Module) ReseedRevocations(ctx context.Context) (int, error) {
	return m.app.ReseedRevocations(ctx, m.revocations)
}

// RunRevocationReseed reseeds at once and then every interval until ctx is
// done, so a Redis that lost its data admits no revoked session for longer
// than interval. Failures are logged and retried at the next tick.
func (m *Module) RunRevocationReseed(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		rctx, cancel := context.WithTimeout(ctx, max(interval, 5*time.Second))
		n, err := m.ReseedRevocations(rctx)
		cancel()
		switch {
		case err != nil && ctx.Err() == nil:
			m.log.WarnContext(ctx, "revocation reseed failed", "err", err)
		case n > 0:
			m.log.WarnContext(ctx, "revocations missing from Redis restored", "sessions", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
