// Package app holds the webhooks module's use cases: managing a room's
// hooks (api) and fanning events out to them and delivering (worker).
package app

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/chatforge/chat/modules/webhooks/internal/domain"
)

// Store is the PostgreSQL record of hooks.
type Store interface {
	// Create stores w; domain.ErrTooMany when its room has MaxPerRoom.
	Create(ctx context.Context, w domain.Webhook) error
	ByRoom(ctx context.Context, room uuid.UUID) ([]domain.Webhook, error)
	// Delete and Enable answer domain.ErrNotFound for no such hook in room.
	Delete(ctx context.Context, room, id uuid.UUID) error
	Enable(ctx context.Context, room, id uuid.UUID) (domain.Webhook, error)
}

// Rooms tells a user's role in a room: "owner", "moderator", "member", or
// "" when they are not in it (or it does not exist).
type Rooms interface {
	Role(ctx context.Context, userID, roomID uuid.UUID) (string, error)
}

// URLChecker refuses URLs that lead to internal addresses
// (egress.Guard.CheckURL).
type URLChecker interface {
	CheckURL(ctx context.Context, raw string) error
}

// Manager runs the api's use cases. Safe for concurrent use.
type Manager struct {
	store Store
	rooms Rooms
	urls  URLChecker
	now   func() time.Time
}

// NewManager returns the use cases over their ports.
func NewManager(s Store, r Rooms, u URLChecker, now func() time.Time) *Manager {
	return &Manager{store: s, rooms: r, urls: u, now: now}
}

// owner checks that userID owns roomID: ErrNotFound when they are not in
// it (a private room's existence is not revealed), ErrForbidden when they
// are in it without owning it.
func (m *Manager) owner(ctx context.Context, userID, roomID string) (uuid.UUID, error) {
	uid, err1 := uuid.Parse(userID)
	rid, err2 := uuid.Parse(roomID)
	if err1 != nil || err2 != nil {
		return uuid.Nil, domain.ErrNotFound
	}
	role, err := m.rooms.Role(ctx, uid, rid)
	switch {
	case err != nil:
		return uuid.Nil, err
	case role == "":
		return uuid.Nil, domain.ErrNotFound
	case role != "owner":
		return uuid.Nil, domain.ErrForbidden
	}
	return rid, nil
}

// Create registers a hook; the answer carries its secret, which List never
// shows again.
func (m *Manager) Create(ctx context.Context, userID, roomID, url string, events []string) (domain.Webhook, error) {
	rid, err := m.owner(ctx, userID, roomID)
	if err != nil {
		return domain.Webhook{}, err
	}
	if err := m.urls.CheckURL(ctx, url); err != nil {
		return domain.Webhook{}, &domain.InvalidError{Field: "url", Message: "refused: " + err.Error()}
	}
	w, err := domain.NewWebhook(rid, uuid.MustParse(userID), url, events, m.now().UTC().Truncate(time.Microsecond))
	if err != nil {
		return domain.Webhook{}, err
	}
	return w, m.store.Create(ctx, w)
}

// List returns the room's hooks, disabled ones included.
func (m *Manager) List(ctx context.Context, userID, roomID string) ([]domain.Webhook, error) {
	rid, err := m.owner(ctx, userID, roomID)
	if err != nil {
		return nil, err
	}
	return m.store.ByRoom(ctx, rid)
}

// Delete removes a hook; deliveries already queued for it are dropped.
func (m *Manager) Delete(ctx context.Context, userID, roomID, id string) error {
	rid, err := m.owner(ctx, userID, roomID)
	if err != nil {
		return err
	}
	hid, err := uuid.Parse(id)
	if err != nil {
		return domain.ErrNotFound
	}
	return m.store.Delete(ctx, rid, hid)
}

// Enable turns a disabled hook back on with its failure count reset.
func (m *Manager) Enable(ctx context.Context, userID, roomID, id string) (domain.Webhook, error) {
	rid, err := m.owner(ctx, userID, roomID)
	if err != nil {
		return domain.Webhook{}, err
	}
	hid, err := uuid.Parse(id)
	if err != nil {
		return domain.Webhook{}, domain.ErrNotFound
	}
	return m.store.Enable(ctx, rid, hid)
}

// IsInvalid reports an *InvalidError in err.
func IsInvalid(err error) (*domain.InvalidError, bool) {
	var ie *domain.InvalidError
	ok := errors.As(err, &ie)
	return ie, ok
}
