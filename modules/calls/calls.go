package calls

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"

	"github.com/chatforge/chat/modules/calls/internal/adapters/postgres"
	"github.com/chatforge/chat/modules/calls/internal/adapters/redissignal"
	"github.com/chatforge/chat/modules/calls/internal/app"
	"github.com/chatforge/chat/modules/calls/internal/domain"
	"github.com/chatforge/chat/modules/calls/internal/ports/httpapi"
)

// Sentinel errors the Rooms and History ports return (apps/api maps the
// messaging module's to them).
var (
	ErrNotFound  = domain.ErrNotFound
	ErrForbidden = domain.ErrForbidden
)

// Rooms tells who may take part in a call: the members of roomID (at most
// max+1) once userID may post there, ErrNotFound or ErrForbidden otherwise.
type Rooms interface {
	MemberIDs(ctx context.Context, userID, roomID string, max int) ([]string, error)
}

// History posts a call's entry in its room: a message of kind "call" from
// the caller carrying record, idempotent on key; ErrNotFound when the
// caller has left the room.
type History interface {
	RecordCall(ctx context.Context, callerID, roomID, key string, record []byte) error
}

// Deps is what the module needs. All but Log and Now are required.
type Deps struct {
	DB      *gorm.DB
	Redis   redis.UniversalClient
	Rooms   Rooms
	History History
	Log     *slog.Logger
	Now     func() time.Time
	Config  Config
}

// Module is the calls module, wired. Safe for concurrent use.
type Module struct {
	app *app.App
	cfg Config
	now func() time.Time
	log *slog.Logger
}

// New wires the module.
func New(d Deps) (*Module, error) {
	if d.DB == nil || d.Redis == nil || d.Rooms == nil || d.History == nil {
		return nil, errors.New("calls: DB, Redis, Rooms and History are required")
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Config.RingTimeout == 0 {
		d.Config.RingTimeout = 30 * time.Second
	}
	if d.Config.SweepInterval == 0 {
		d.Config.SweepInterval = time.Second
	}
	if d.Config.MaxDuration == 0 {
		d.Config.MaxDuration = 12 * time.Hour
	}
	if d.Config.TURNCredentialTTL == 0 {
		d.Config.TURNCredentialTTL = 12 * time.Hour
	}
	a := app.New(app.Ports{
		Store: postgres.New(d.DB), Rooms: d.Rooms, History: d.History, Signals: redissignal.New(d.Redis),
	}, app.Options{RingTimeout: d.Config.RingTimeout, MaxDuration: d.Config.MaxDuration, Now: d.Now, Log: d.Log})
	return &Module{app: a, cfg: d.Config, now: d.Now, log: d.Log}, nil
}

// Routes mounts GET /api/calls/ice-servers.
func (m *Module) Routes(r gin.IRouter, auth, userLimit gin.HandlerFunc) {
	httpapi.Routes(r, auth, userLimit, httpapi.ICEConfig{
		STUNURLs: m.cfg.STUNURLs, TURNURLs: m.cfg.TURNURLs, Secret: m.cfg.TURNSecret, TTL: m.cfg.TURNCredentialTTL, Now: m.now,
	})
}

// RunSweeper ends calls whose ring timed out and posts history entries a
// crashed instance left, every SweepInterval, until ctx is done. Run it on
// every api instance: they share the work (no instance owns a call's
// timer, so a dead one delays nothing).
func (m *Module) RunSweeper(ctx context.Context) error {
	t := time.NewTicker(m.cfg.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := m.app.Sweep(ctx); err != nil && ctx.Err() == nil {
				m.log.WarnContext(ctx, "call sweep failed", "err", err)
			}
		}
	}
}

// TURNCredential returns a TURN REST API credential for user, valid until
// expiry (exported for tests and tools).
func TURNCredential(secret, user string, expiry time.Time) (username, password string) {
	return domain.TURNCredential(secret, user, expiry)
}

// marshalAck encodes an ack (always encodable).
func marshalAck(a app.Ack) json.RawMessage {
	b, _ := json.Marshal(a)
	return b
}
