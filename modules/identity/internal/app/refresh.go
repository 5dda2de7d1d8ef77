package app

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/chatforge/chat/modules/identity/internal/domain"
)

// RefreshStore owns the refresh transaction.
type RefreshStore interface {
	// RotateRefresh locks the token with hash h and its session, calls fn
	// with them and, when fn returns nil, persists what fn changed (token
	// spent, session touched or revoked, next token) in the same
	// transaction. An unknown hash yields domain.ErrInvalidRefreshToken.
	// Concurrent calls for one token are serialized by the row lock, so at
	// most one of them sees the token unspent.
	RotateRefresh(ctx context.Context, h domain.TokenHash, fn func(*domain.Rotation) error) error
}

// Refresh spends refreshToken and returns a new token pair. Presenting a
// spent token revokes its session (reuse detection) and yields
// domain.ErrRefreshReused; an unknown token or a dead session yields
// domain.ErrInvalidRefreshToken.
func (a *App) Refresh(ctx context.Context, refreshToken string) (Tokens, error) {
	h, ok := domain.ParseToken(refreshToken)
	if !ok {
		return Tokens{}, domain.ErrInvalidRefreshToken
	}
	now := a.now()
	var (
		outcome error
		session domain.Session
		plain   string
	)
	err := a.store.RotateRefresh(ctx, h, func(r *domain.Rotation) error {
		var next domain.RefreshToken
		plain, next = domain.NewRefreshToken(r.Token.SessionID, now)
		outcome = r.Rotate(next, now)
		session = r.Session
		if errors.Is(outcome, domain.ErrRefreshReused) {
			return nil // commit the revocation; report the reuse below
		}
		return outcome
	})
	if err != nil {
		return Tokens{}, err
	}
	if outcome != nil {
		// Reuse: the session is revoked in the database; tell the access
		// token checkers too. The answer is 401 either way.
		a.log.WarnContext(ctx, "refresh token reuse, session revoked", "session_id", session.ID, "user_id", session.UserID)
		_ = a.revoke(ctx, []uuid.UUID{session.ID})
		return Tokens{}, outcome
	}
	return a.issue(session, plain, now)
}
