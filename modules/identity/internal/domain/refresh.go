package domain

import (
	"time"

	"github.com/google/uuid"
)

// RefreshToken is one link of a session's rotation chain. At most one token
// of a session is unspent; using it spends it and issues the next one.
type RefreshToken struct {
	Hash      TokenHash
	SessionID uuid.UUID
	CreatedAt time.Time
	SpentAt   *time.Time
}

// NewRefreshToken returns a fresh token for session and its plaintext, which
// only the client keeps.
func NewRefreshToken(sessionID uuid.UUID, now time.Time) (string, RefreshToken) {
	plain, h := NewToken()
	return plain, RefreshToken{Hash: h, SessionID: sessionID, CreatedAt: now}
}

// Rotation is what a refresh sees while its token and session are locked:
// the presented token, its session and, once Rotate succeeded, the next
// token to store.
type Rotation struct {
	Token   RefreshToken
	Session Session
	Next    *RefreshToken
}

// Rotate applies the refresh rules:
//   - a spent token means the chain was forked (a copy was stolen, or a
//     client replayed it): the whole session is revoked and ErrRefreshReused
//     returned. The caller must persist the revocation despite the error;
//   - a token of an expired or revoked session is refused
//     (ErrInvalidRefreshToken);
//   - otherwise the token is spent, the session touched and next recorded.
func (r *Rotation) Rotate(next RefreshToken, now time.Time) error {
	if r.Token.SpentAt != nil {
		r.Session.Revoke(now)
		return ErrRefreshReused
	}
	if !r.Session.Live(now) {
		return ErrInvalidRefreshToken
	}
	r.Token.SpentAt = &now
	r.Session.LastUsedAt = now
	r.Next = &next
	return nil
}
