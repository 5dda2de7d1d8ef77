// Package app holds the bots module's use cases: create, list, revoke,
// resolve a token, and copy the live tokens back into Redis.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/chatforge/chat/modules/bots/internal/domain"
	"github.com/chatforge/chat/platform/authn"
)

// Store is the PostgreSQL record of bots.
type Store interface {
	Create(ctx context.Context, b domain.Bot) error
	ByOwner(ctx context.Context, owner uuid.UUID) ([]domain.Bot, error)
	// Revoke sets RevokedAt (keeping the first one) on owner's bot id and
	// returns it; domain.ErrNotFound when owner has no such bot.
	Revoke(ctx context.Context, owner, id uuid.UUID, now time.Time) (domain.Bot, error)
	// LiveByHash finds the unrevoked bot with that token hash.
	LiveByHash(ctx context.Context, hash [32]byte) (domain.Bot, error)
	// All calls fn with every bot, live and revoked.
	All(ctx context.Context, fn func(domain.Bot) error) error
}

// Mirror is the Redis copy of live tokens (authn.BotTokens).
type Mirror interface {
	Put(ctx context.Context, hash [32]byte, userID string) error
	Delete(ctx context.Context, hash [32]byte) error
	Sync(ctx context.Context, live map[[32]byte]string, revoked [][32]byte) error
	ResolveBot(ctx context.Context, token string) (authn.Principal, error)
}

// Revoker announces a revoked bot so gateways close its sockets.
type Revoker interface {
	Revoke(ctx context.Context, sessionIDs ...string) error
}

// App runs the use cases. Safe for concurrent use.
type App struct {
	store   Store
	mirror  Mirror
	revoker Revoker
	log     *slog.Logger
	now     func() time.Time
}

// New returns the use cases over their ports.
func New(s Store, m Mirror, r Revoker, log *slog.Logger, now func() time.Time) *App {
	return &App{store: s, mirror: m, revoker: r, log: log, now: now}
}

// Create makes a bot owned by owner and returns it with its token, the
// only time the token is seen. A failed Redis write is only logged: the
// api falls back to PostgreSQL and the reseed puts it back for gateways.
func (a *App) Create(ctx context.Context, owner, name string) (domain.Bot, string, error) {
	oid, err := uuid.Parse(owner)
	if err != nil {
		return domain.Bot{}, "", fmt.Errorf("bots: owner id: %w", err)
	}
	name, err = domain.ParseName(name)
	if err != nil {
		return domain.Bot{}, "", err
	}
	token := domain.NewToken(authn.BotTokenPrefix)
	b, err := domain.NewBot(oid, name, authn.HashBotToken(token), a.now().UTC().Truncate(time.Microsecond))
	if err != nil {
		return domain.Bot{}, "", err
	}
	if err := a.store.Create(ctx, b); err != nil {
		return domain.Bot{}, "", err
	}
	if err := a.mirror.Put(ctx, b.TokenHash, b.ID.String()); err != nil {
		a.log.WarnContext(ctx, "bot token not mirrored to Redis; the reseed will", "bot_id", b.ID, "err", err)
	}
	return b, token, nil
}

// List returns owner's bots, revoked ones included.
func (a *App) List(ctx context.Context, owner string) ([]domain.Bot, error) {
	oid, err := uuid.Parse(owner)
	if err != nil {
		return nil, domain.ErrNotFound
	}
	return a.store.ByOwner(ctx, oid)
}

// Revoke revokes owner's bot id: PostgreSQL first (the record), then the
// Redis entry and the announcement that closes its sockets. Revoking again
// repeats the Redis half, so a retry after an outage completes it.
func (a *App) Revoke(ctx context.Context, owner, id string) error {
	oid, err1 := uuid.Parse(owner)
	bid, err2 := uuid.Parse(id)
	if err1 != nil || err2 != nil {
		return domain.ErrNotFound
	}
	b, err := a.store.Revoke(ctx, oid, bid, a.now().UTC().Truncate(time.Microsecond))
	if err != nil {
		return err
	}
	if err := a.mirror.Delete(ctx, b.TokenHash); err != nil {
		return err
	}
	return a.revoker.Revoke(ctx, b.ID.String())
}

// Resolve implements authn.BotResolver for the api: Redis first, then
// PostgreSQL (the record) when Redis does not know the token or is down,
// putting a live token found there back into Redis.
func (a *App) Resolve(ctx context.Context, token string) (authn.Principal, error) {
	p, err := a.mirror.ResolveBot(ctx, token)
	if err == nil {
		return p, nil
	}
	redisDown := !errors.Is(err, authn.ErrUnknownBotToken)
	b, err := a.store.LiveByHash(ctx, authn.HashBotToken(token))
	if errors.Is(err, domain.ErrNotFound) {
		return authn.Principal{}, authn.ErrUnknownBotToken
	}
	if err != nil {
		return authn.Principal{}, err
	}
	if !redisDown {
		if err := a.mirror.Put(ctx, b.TokenHash, b.ID.String()); err != nil {
			a.log.WarnContext(ctx, "bot token not mirrored to Redis", "bot_id", b.ID, "err", err)
		}
	}
	return authn.BotPrincipal(b.ID.String()), nil
}

// Reseed makes Redis agree with PostgreSQL: every live token present,
// every revoked one absent. It returns how many bots it went through.
func (a *App) Reseed(ctx context.Context) (int, error) {
	live := map[[32]byte]string{}
	var revoked [][32]byte
	err := a.store.All(ctx, func(b domain.Bot) error {
		if b.RevokedAt != nil {
			revoked = append(revoked, b.TokenHash)
		} else {
			live[b.TokenHash] = b.ID.String()
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(live) + len(revoked), a.mirror.Sync(ctx, live, revoked)
}
