package app

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/chatforge/chat/modules/identity/internal/domain"
)

// SessionStore lists and revokes sessions.
type SessionStore interface {
	// ListSessions returns the live sessions of user at now, newest first.
	ListSessions(ctx context.Context, userID uuid.UUID, now time.Time) ([]domain.Session, error)
	// RevokeSession revokes the live session id of user. It yields
	// domain.ErrSessionNotFound when user has no live session id (unknown,
	// someone else's or already revoked: the caller cannot tell which).
	RevokeSession(ctx context.Context, userID, id uuid.UUID, now time.Time) error
}

// SessionView is a session as its owner sees it.
type SessionView struct {
	domain.Session
	Current bool // the session of the access token making the request
}

// Sessions lists the caller's live sessions.
func (a *App) Sessions(ctx context.Context, p Principal) ([]SessionView, error) {
	ss, err := a.store.ListSessions(ctx, p.UserID, a.now())
	if err != nil {
		return nil, err
	}
	out := make([]SessionView, len(ss))
	for i, s := range ss {
		out[i] = SessionView{Session: s, Current: s.ID == p.SessionID}
	}
	return out, nil
}

// RevokeSession ends one of the caller's sessions (possibly the current
// one). Errors: domain.ErrSessionNotFound.
func (a *App) RevokeSession(ctx context.Context, p Principal, id uuid.UUID) error {
	if err := a.store.RevokeSession(ctx, p.UserID, id, a.now()); err != nil {
		return err
	}
	// Not idempotent over HTTP (a retry answers 404), so a Redis failure is
	// logged, not returned: see revoke for the bound on its effect.
	_ = a.revoke(ctx, []uuid.UUID{id})
	return nil
}

// Logout ends the caller's current session. It is idempotent: a session the
// database already shows revoked is pushed to Redis again, which makes a
// retry after a Redis failure (returned here) useful.
func (a *App) Logout(ctx context.Context, p Principal) error {
	err := a.store.RevokeSession(ctx, p.UserID, p.SessionID, a.now())
	if err != nil && !errors.Is(err, domain.ErrSessionNotFound) {
		return err
	}
	return a.revoke(ctx, []uuid.UUID{p.SessionID})
}
