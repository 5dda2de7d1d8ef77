package keys

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"

	"github.com/chatforge/chat/modules/keys/internal/adapters/postgres"
	redisadapter "github.com/chatforge/chat/modules/keys/internal/adapters/redis"
	"github.com/chatforge/chat/modules/keys/internal/app"
	"github.com/chatforge/chat/modules/keys/internal/ports/httpapi"
	"github.com/chatforge/chat/platform/authn"
)

// Peers tells who shares a room with a user (the global room aside): the
// users told of the user's device changes, and the only ones whose keys
// the user may claim. apps/api passes the messaging module.
type Peers interface {
	Peers(ctx context.Context, userID string) ([]string, error)
}

// Deps is what the module needs. DB, Redis and Peers are required.
type Deps struct {
	DB    *gorm.DB
	Redis redis.UniversalClient
	Peers Peers
	Log   *slog.Logger
	Now   func() time.Time
}

// Module is the key directory, wired. It is safe for concurrent use.
type Module struct {
	app   *app.App
	store *postgres.Store
	rdb   redis.UniversalClient
	log   *slog.Logger
}

// New wires the module.
func New(d Deps) (*Module, error) {
	if d.DB == nil || d.Redis == nil || d.Peers == nil {
		return nil, errors.New("keys: Deps.DB, Redis and Peers are required")
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	store := postgres.New(d.DB)
	a := app.New(store, d.Peers, redisadapter.New(d.Redis), d.Now, d.Log)
	return &Module{app: a, store: store, rdb: d.Redis, log: d.Log}, nil
}

// Routes mounts /api/keys on r behind auth (authn.Middleware) and
// userLimit; nil skips either.
func (m *Module) Routes(r gin.IRouter, auth, userLimit gin.HandlerFunc) {
	httpapi.New(m.app, m.log).Routes(r, auth, userLimit)
}

// RunRevocations announces device-keys-changed for the user of every
// revoked session (authn.RevokedChannel) until ctx is done: the session's
// keys went with it (the database drops them in the revoking statement),
// so its peers stop encrypting for that device. Pub/sub is at most once:
// a lost announcement leaves peers with a device that claims no longer
// return, which they notice at their next claim.
func (m *Module) RunRevocations(ctx context.Context) error {
	ps := m.rdb.Subscribe(ctx, authn.RevokedChannel)
	defer ps.Close()
	ch := ps.Channel()
	for {
		select {
		case <-ctx.Done():
			return nil
		case msg, ok := <-ch:
			if !ok {
				return nil
			}
			user, err := m.store.UserOfSession(ctx, msg.Payload)
			if err != nil {
				m.log.WarnContext(ctx, "device-keys-changed: session lookup", "err", err)
				continue
			}
			if user != "" {
				m.app.DeviceGone(ctx, user)
			}
		}
	}
}
