// Package presence tracks who is online and who is typing, across gateways,
// through Redis only (no PostgreSQL): a user is online while at least one of
// their connections, on any gateway, holds a lease renewed by heartbeats;
// online/offline changes and typing indicators are published on Redis
// pub/sub channels that every gateway subscribes to.
//
// The root package is the public face: Module (the use cases), the event
// types and their decoders, and TypingTracker for receivers. Rules live in
// internal/domain, use cases in internal/app, Redis in
// internal/adapters/redisstore.
package presence

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/modules/presence/internal/adapters/redisstore"
	"github.com/chatforge/chat/modules/presence/internal/app"
	"github.com/chatforge/chat/modules/presence/internal/domain"
)

// Default channel names and key prefix.
const (
	DefaultEventsChannel = "chat:presence"
	DefaultTypingChannel = "chat:typing"
	DefaultKeyPrefix     = "presence"
)

// ErrInvalid reports invalid input (ids, TTL).
var ErrInvalid = domain.ErrInvalid

// Config tunes the module. Zero values take the defaults.
type Config struct {
	TTL           time.Duration // lease lifetime without heartbeat (default 60s)
	KeyPrefix     string        // Redis key prefix and hash tag
	EventsChannel string        // pub/sub channel of online/offline events
	TypingChannel string        // pub/sub channel of typing indicators
}

// Deps are the module's collaborators.
type Deps struct {
	Redis  redis.UniversalClient
	Log    *slog.Logger
	Config Config
	Now    func() time.Time // default time.Now
}

// Module offers the presence use cases. Safe for concurrent use.
type Module struct {
	svc    *app.Service
	rdb    redis.UniversalClient
	log    *slog.Logger
	config Config
}

// Conn names one live connection of a user.
type Conn = app.Conn

// Timing is the lease timing: TTL, heartbeat and sweep periods.
type Timing = domain.Timing

// New builds the module.
func New(d Deps) (*Module, error) {
	if d.Redis == nil {
		return nil, errors.New("presence: Redis is required")
	}
	cfg := d.Config
	if cfg.TTL == 0 {
		cfg.TTL = 60 * time.Second
	}
	if cfg.KeyPrefix == "" {
		cfg.KeyPrefix = DefaultKeyPrefix
	}
	if cfg.EventsChannel == "" {
		cfg.EventsChannel = DefaultEventsChannel
	}
	if cfg.TypingChannel == "" {
		cfg.TypingChannel = DefaultTypingChannel
	}
	timing, err := domain.NewTiming(cfg.TTL)
	if err != nil {
		return nil, err
	}
	now := d.Now
	if now == nil {
		now = time.Now
	}
	log := d.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	store := redisstore.New(d.Redis, cfg.KeyPrefix, cfg.EventsChannel, cfg.TypingChannel)
	return &Module{svc: app.New(store, store, timing, now), rdb: d.Redis, log: log, config: cfg}, nil
}

// Config returns the effective configuration (defaults applied).
func (m *Module) Config() Config { return m.config }

// Timing returns the heartbeat and sweep periods derived from the TTL.
func (m *Module) Timing() Timing { return m.svc.Timing() }

// Connect takes a lease for a new connection (user online if first).
func (m *Module) Connect(ctx context.Context, c Conn) error { return m.svc.Connect(ctx, c) }

// Heartbeat renews the leases of live connections; call it every
// Timing().Heartbeat with every local connection. It never brings back the
// lease of a connection that was disconnected meanwhile (no online flap);
// a lease swept while its connection lived is taken again.
func (m *Module) Heartbeat(ctx context.Context, conns []Conn) error {
	return m.svc.Heartbeat(ctx, conns)
}

// Disconnect ends a connection's lease (user offline if last).
func (m *Module) Disconnect(ctx context.Context, c Conn) error { return m.svc.Disconnect(ctx, c) }

// DisconnectMany ends the leases of many connections in a few Redis round
// trips (a gateway closing many sockets at once); each user whose last
// connection goes is announced offline once. Connections with invalid ids
// are skipped and reported (ErrInvalid); the others are still released.
func (m *Module) DisconnectMany(ctx context.Context, conns []Conn) error {
	return m.svc.DisconnectMany(ctx, conns)
}

// Sweep removes expired leases now; it returns how many.
func (m *Module) Sweep(ctx context.Context) (int, error) { return m.svc.Sweep(ctx) }

// RunSweeper sweeps expired leases every Timing().Sweep until ctx is done.
// Every gateway runs one; concurrent sweeps are safe.
func (m *Module) RunSweeper(ctx context.Context) error { return m.svc.RunSweeper(ctx, m.log) }

// Status reads a user's presence.
func (m *Module) Status(ctx context.Context, userID string) (Presence, error) {
	p, err := m.svc.Status(ctx, userID)
	return Presence{UserID: p.UserID, Online: p.Status == domain.Online, LastSeen: p.LastSeen}, err
}

// PublishTyping announces a typing change to every gateway.
func (m *Module) PublishTyping(ctx context.Context, t Typing) error {
	return m.svc.Typing(ctx, domain.Typing{UserID: t.UserID, RoomID: t.RoomID, Active: t.Active})
}
