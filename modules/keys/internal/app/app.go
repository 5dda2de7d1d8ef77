// Package app holds the key directory's use cases, with the ports they
// need declared next to them. The caller's device is its session: the
// access token names both user and session.
package app

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/chatforge/chat/modules/keys/internal/domain"
)

// Store keeps the devices' public keys.
type Store interface {
	// PutDevice stores d (its session must be live), replacing the
	// session's previous bundle; a new identity key drops the old one-time
	// keys. changed is true when the device is new or its identity key
	// changed.
	PutDevice(ctx context.Context, d domain.Device, now time.Time) (changed bool, err error)
	// AddOneTime stores keys for the session's device, ignoring ids it
	// already holds or gave out, and returns how many it now holds.
	// domain.ErrNoDevice without a bundle, domain.ErrFull past MaxStored.
	AddOneTime(ctx context.Context, sessionID string, keys []domain.PreKey) (int, error)
	// CountOneTime returns how many one-time keys the device holds.
	CountOneTime(ctx context.Context, sessionID string) (int, error)
	// Claim returns the bundle of every live device of userIDs, except
	// the caller's own session, each with one one-time key removed
	// atomically: never the same key to two claimers.
	Claim(ctx context.Context, userIDs []string, exceptSession string) ([]domain.Claimed, error)
}

// Peers tells who shares a room with a user (the global room aside).
type Peers interface {
	Peers(ctx context.Context, userID string) ([]string, error)
}

// Notifier tells the sockets of users that a user's devices changed.
type Notifier interface {
	DevicesChanged(ctx context.Context, userID string, to []string) error
}

// App is the set of use cases. It is safe for concurrent use.
type App struct {
	store  Store
	peers  Peers
	notify Notifier
	now    func() time.Time
	log    *slog.Logger
}

// New builds the use cases.
func New(s Store, p Peers, n Notifier, now func() time.Time, log *slog.Logger) *App {
	return &App{store: s, peers: p, notify: n, now: now, log: log}
}

// Caller is the authenticated user and their session (device).
type Caller struct{ UserID, SessionID string }

// PublishDevice stores the caller's device bundle. deviceId must be the
// caller's session id. A new device or identity key is announced to the
// members of the caller's rooms (device-keys-changed).
func (a *App) PublishDevice(ctx context.Context, c Caller, d domain.Device) error {
	if d.DeviceID != c.SessionID {
		return &domain.InvalidError{Field: "deviceId", Message: "must be the id of the session making the request"}
	}
	d.UserID = c.UserID
	if err := d.Validate(); err != nil {
		return err
	}
	changed, err := a.store.PutDevice(ctx, d, a.now().UTC())
	if err != nil || !changed {
		return err
	}
	a.announce(ctx, c.UserID)
	return nil
}

// UploadOneTime adds one-time keys to the caller's device and returns how
// many it holds.
func (a *App) UploadOneTime(ctx context.Context, c Caller, keys []domain.PreKey) (int, error) {
	if err := domain.ValidateBatch(keys); err != nil {
		return 0, err
	}
	return a.store.AddOneTime(ctx, c.SessionID, keys)
}

// CountOneTime tells the caller's device how many one-time keys it has
// left, so it uploads more before they run out.
func (a *App) CountOneTime(ctx context.Context, c Caller) (int, error) {
	return a.store.CountOneTime(ctx, c.SessionID)
}

// Claim hands out the bundles of the devices of userIDs, each with one
// of its one-time keys. Only users who share a room with the caller (and
// the caller's own other devices) are claimed: keys are not drained by
// strangers. Others are left out, as users without devices are.
func (a *App) Claim(ctx context.Context, c Caller, userIDs []string) ([]domain.Claimed, error) {
	if len(userIDs) == 0 || len(userIDs) > domain.MaxClaimUsers {
		return nil, &domain.InvalidError{Field: "userIds", Message: "must name 1 to 100 users"}
	}
	peers, err := a.peers.Peers(ctx, c.UserID)
	if err != nil {
		return nil, err
	}
	allowed := make([]string, 0, len(userIDs))
	for _, u := range userIDs {
		if (u == c.UserID || slices.Contains(peers, u)) && !slices.Contains(allowed, u) {
			allowed = append(allowed, u)
		}
	}
	if len(allowed) == 0 {
		return []domain.Claimed{}, nil
	}
	return a.store.Claim(ctx, allowed, c.SessionID)
}

// DeviceGone announces that a user's device went away (its session
// ended; the database dropped its keys with it).
func (a *App) DeviceGone(ctx context.Context, userID string) { a.announce(ctx, userID) }

// announce publishes device-keys-changed for userID. The change is
// stored already: a failed announcement is logged, not returned (clients
// also re-claim when a message does not decrypt).
func (a *App) announce(ctx context.Context, userID string) {
	peers, err := a.peers.Peers(ctx, userID)
	if err == nil {
		err = a.notify.DevicesChanged(ctx, userID, append(peers, userID))
	}
	if err != nil {
		a.log.WarnContext(ctx, "device-keys-changed not announced", "user_id", userID, "err", err)
	}
}
