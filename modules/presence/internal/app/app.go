// Package app holds the presence use cases: connect, heartbeat, disconnect,
// sweep, status and typing. They speak to storage and pub/sub only through
// the small ports declared here, which the Redis adapter and the in-memory
// fake of presencetest implement.
package app

import (
	"context"
	"time"

	"github.com/chatforge/chat/modules/presence/internal/domain"
)

// LeaseStore keeps connection leases and announces the online/offline
// transitions they cause, each exactly once.
type LeaseStore interface {
	// Acquire adds or renews leases, except those of released connections;
	// it returns how many were new.
	Acquire(ctx context.Context, leases []domain.Lease) (int, error)
	// Renew renews the leases that exist, creating none; it returns the
	// missing ones.
	Renew(ctx context.Context, leases []domain.Lease) ([]domain.Lease, error)
	// Release ends one lease and marks its connection released for at
	// least keep; it reports whether the user went offline.
	Release(ctx context.Context, userID, connID string, now time.Time, keep time.Duration) (bool, error)
	// Expire removes up to limit leases expired by now; it returns how many.
	Expire(ctx context.Context, now time.Time, ttl time.Duration, limit int) (int, error)
	// Status reads a user's presence.
	Status(ctx context.Context, userID string) (domain.Presence, error)
}

// TypingPublisher announces typing changes to every gateway.
type TypingPublisher interface {
	PublishTyping(ctx context.Context, t domain.Typing) error
}

// Service runs the use cases. Safe for concurrent use.
type Service struct {
	leases LeaseStore
	typing TypingPublisher
	timing domain.Timing
	now    func() time.Time
}

// New returns a Service.
func New(leases LeaseStore, typing TypingPublisher, timing domain.Timing, now func() time.Time) *Service {
	return &Service{leases: leases, typing: typing, timing: timing, now: now}
}

// Timing is the lease timing the service runs with.
func (s *Service) Timing() domain.Timing { return s.timing }
