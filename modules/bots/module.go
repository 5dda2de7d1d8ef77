package bots

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"github.com/chatforge/chat/modules/bots/internal/adapters/postgres"
	"github.com/chatforge/chat/modules/bots/internal/app"
	"github.com/chatforge/chat/modules/bots/internal/ports/httpapi"
	"github.com/chatforge/chat/platform/authn"
)

// Deps are the module's collaborators; all but Log and Now are required.
type Deps struct {
	DB          *gorm.DB
	Tokens      *authn.BotTokens
	Revocations *authn.Revocations
	Log         *slog.Logger
	Now         func() time.Time
}

// Module is the wired bots module.
type Module struct {
	app  *app.App
	http *httpapi.Handler
	log  *slog.Logger
}

// New wires the module.
func New(d Deps) (*Module, error) {
	if d.DB == nil || d.Tokens == nil || d.Revocations == nil {
		return nil, errors.New("bots: Deps.DB, Tokens and Revocations are required")
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	a := app.New(postgres.New(d.DB), d.Tokens, d.Revocations, d.Log, d.Now)
	return &Module{app: a, http: httpapi.New(a, d.Log), log: d.Log}, nil
}

// Routes mounts /api/bots (POST create, GET list, DELETE /:id revoke).
func (m *Module) Routes(r gin.IRouter, auth, userLimit gin.HandlerFunc) {
	m.http.Routes(r, auth, userLimit)
}

// ResolveBot implements authn.BotResolver for the api (Redis, then
// PostgreSQL): pass the module to authn.WithBots.
func (m *Module) ResolveBot(ctx context.Context, token string) (authn.Principal, error) {
	return m.app.Resolve(ctx, token)
}

// RunReseed makes Redis agree with PostgreSQL at once and then every
// interval until ctx is done, so gateways admit every live bot and no
// revoked one after Redis lost its data or missed a write.
func (m *Module) RunReseed(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		rctx, cancel := context.WithTimeout(ctx, max(interval, 5*time.Second))
		if _, err := m.app.Reseed(rctx); err != nil && ctx.Err() == nil {
			m.log.WarnContext(ctx, "bot token reseed failed", "err", err)
		}
		cancel()
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
