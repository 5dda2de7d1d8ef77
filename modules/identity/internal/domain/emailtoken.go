package domain

import (
	"time"

	"github.com/google/uuid"
)

// Purpose says what an e-mail token may be used for.
type Purpose string

// Token purposes; they match the email_tokens.purpose CHECK constraint.
const (
	PurposeVerify Purpose = "verify"
	PurposeReset  Purpose = "reset"
)

// EmailToken is a single-use token mailed to a user, to verify the address
// or reset the password. Only its hash is stored.
type EmailToken struct {
	Hash      TokenHash
	UserID    uuid.UUID
	Purpose   Purpose
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// NewEmailToken returns a fresh token valid for ttl, and its plaintext for
// the e-mail link.
func NewEmailToken(userID uuid.UUID, p Purpose, now time.Time, ttl time.Duration) (string, EmailToken) {
	plain, h := NewToken()
	return plain, EmailToken{Hash: h, UserID: userID, Purpose: p, CreatedAt: now, ExpiresAt: now.Add(ttl)}
}

// Use spends the token for purpose p. A used, expired or wrong-purpose token
// yields ErrInvalidToken: the same error for every case, so a caller learns
// nothing about other people's tokens.
func (t *EmailToken) Use(p Purpose, now time.Time) error {
	if t.Purpose != p || t.UsedAt != nil || !now.Before(t.ExpiresAt) {
		return ErrInvalidToken
	}
	t.UsedAt = &now
	return nil
}
