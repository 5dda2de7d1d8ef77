package app

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/chatforge/chat/modules/notify/internal/domain"
)

// SubscriptionRepo stores subscriptions for the REST use cases.
type SubscriptionRepo interface {
	// Upsert stores s, or updates the row of the same endpoint (a browser
	// renewing its keys, or handing the device to another account), and
	// returns the stored row. It keeps at most
	// domain.MaxSubscriptionsPerUser per user, dropping the oldest. The row
	// belongs to s.SessionID from then on, whoever registered it before.
	Upsert(ctx context.Context, s domain.Subscription) (domain.Subscription, error)
	// ListByUser returns the user's subscriptions whose session is live.
	ListByUser(ctx context.Context, userID string) ([]domain.Subscription, error)
	// Delete removes the user's subscription id; domain.ErrNotFound if the
	// user has none by that id.
	Delete(ctx context.Context, userID, id string) error
}

// EndpointChecker refuses endpoints the worker must not connect to
// (internal addresses: the endpoint is user input, and the worker would
// otherwise POST into the internal network on the user's behalf).
type EndpointChecker interface {
	CheckURL(ctx context.Context, raw string) error
}

// Subscriptions are the push-subscription use cases behind the REST API.
type Subscriptions struct {
	repo      SubscriptionRepo
	endpoints EndpointChecker
	allowHTTP bool
	now       func() time.Time
}

// NewSubscriptions wires them; allowHTTP admits http:// endpoints.
func NewSubscriptions(r SubscriptionRepo, endpoints EndpointChecker, allowHTTP bool, now func() time.Time) *Subscriptions {
	return &Subscriptions{repo: r, endpoints: endpoints, allowHTTP: allowHTTP, now: now}
}

// Register validates and stores a device's subscription for userID, bound
// to sessionID, the caller's session: it stops with that session.
func (s *Subscriptions) Register(ctx context.Context, userID, sessionID, endpoint, p256dh, auth, userAgent string) (domain.Subscription, error) {
	sub, err := domain.NewSubscription(uuid.NewString(), userID, sessionID, endpoint, p256dh, auth, userAgent, s.allowHTTP, s.now().UTC())
	if err != nil {
		return domain.Subscription{}, err
	}
	// After the shape checks: only a well-formed URL costs a DNS lookup.
	if err := s.endpoints.CheckURL(ctx, sub.Endpoint); err != nil {
		return domain.Subscription{}, fmt.Errorf("push endpoint: %w", err)
	}
	return s.repo.Upsert(ctx, sub)
}

// List returns userID's subscriptions of live sessions, newest first.
func (s *Subscriptions) List(ctx context.Context, userID string) ([]domain.Subscription, error) {
	return s.repo.ListByUser(ctx, userID)
}

// Remove deletes one of userID's subscriptions.
func (s *Subscriptions) Remove(ctx context.Context, userID, id string) error {
	if _, err := uuid.Parse(id); err != nil {
		return domain.ErrNotFound
	}
	return s.repo.Delete(ctx, userID, id)
}
