// Package keystest has in-memory fakes of the key directory's ports, for
// unit tests of its use cases.
package keystest

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/chatforge/chat/modules/keys/internal/domain"
)

// Store is an in-memory app.Store. Sessions are live unless ended.
type Store struct {
	mu      sync.Mutex
	devices map[string]domain.Device
	oneTime map[string][]domain.PreKey
	ended   map[string]bool
}

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{devices: map[string]domain.Device{}, oneTime: map[string][]domain.PreKey{}, ended: map[string]bool{}}
}

// EndSession ends a session: its keys go with it.
func (s *Store) EndSession(sessionID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ended[sessionID] = true
	delete(s.devices, sessionID)
	delete(s.oneTime, sessionID)
}

// Put stores a device directly.
func (s *Store) Put(d domain.Device) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.devices[d.DeviceID] = d
}

// PutDevice implements app.Store.
func (s *Store) PutDevice(_ context.Context, d domain.Device, _ time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended[d.DeviceID] {
		return false, domain.ErrForbidden
	}
	old, ok := s.devices[d.DeviceID]
	changed := !ok || old.IdentityKey != d.IdentityKey
	if changed {
		delete(s.oneTime, d.DeviceID)
	}
	s.devices[d.DeviceID] = d
	return changed, nil
}

// AddOneTime implements app.Store.
func (s *Store) AddOneTime(_ context.Context, sessionID string, keys []domain.PreKey) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.devices[sessionID]; !ok {
		return 0, domain.ErrNoDevice
	}
	have := slices.Clone(s.oneTime[sessionID])
	for _, k := range keys {
		dup := false
		for _, h := range have {
			dup = dup || h.KeyID == k.KeyID
		}
		if !dup {
			have = append(have, k)
		}
	}
	if len(have) > domain.MaxStored {
		return 0, domain.ErrFull
	}
	s.oneTime[sessionID] = have
	return len(have), nil
}

// CountOneTime implements app.Store.
func (s *Store) CountOneTime(_ context.Context, sessionID string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.oneTime[sessionID]), nil
}

// Claim implements app.Store.
func (s *Store) Claim(_ context.Context, userIDs []string, except string) ([]domain.Claimed, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []domain.Claimed
	for _, u := range userIDs {
		for id, d := range s.devices {
			if d.UserID != u || id == except {
				continue
			}
			c := domain.Claimed{Device: d}
			if ks := s.oneTime[id]; len(ks) > 0 {
				c.OneTimeKey = &ks[0]
				s.oneTime[id] = ks[1:]
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// Peers maps a user to the users sharing a room with them.
type Peers map[string][]string

// Peers implements app.Peers.
func (p Peers) Peers(_ context.Context, userID string) ([]string, error) {
	return append([]string(nil), p[userID]...), nil
}

// Announced is one device-keys-changed announcement.
type Announced struct {
	UserID string
	To     []string
}

// Notifier records announcements.
type Notifier struct {
	mu  sync.Mutex
	Got []Announced
}

// DevicesChanged implements app.Notifier.
func (n *Notifier) DevicesChanged(_ context.Context, userID string, to []string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.Got = append(n.Got, Announced{UserID: userID, To: to})
	return nil
}
