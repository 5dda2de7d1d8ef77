package domain

import (
	"fmt"
	"time"

	"github.com/google/uuid"
)

// User is an account. Invariants: Email is normalized and unique across
// users; PasswordHash is a PHC argon2id string; UpdatedAt >= CreatedAt.
type User struct {
	ID              uuid.UUID
	Email           Email
	DisplayName     DisplayName
	PasswordHash    string
	EmailVerifiedAt *time.Time // nil until the address is confirmed
	// IsBot marks a bot account (created by the bots module): it has no
	// e-mail login, so login and password reset ignore it.
	IsBot     bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// NewUser creates an unverified user. IDs are UUIDv7: time-ordered, so new
// rows land at the right edge of the primary-key index.
func NewUser(email Email, name DisplayName, passwordHash string, now time.Time) (User, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return User{}, fmt.Errorf("new user id: %w", err)
	}
	return User{ID: id, Email: email, DisplayName: name, PasswordHash: passwordHash, CreatedAt: now, UpdatedAt: now}, nil
}

// EmailVerified reports whether the address was confirmed.
func (u User) EmailVerified() bool { return u.EmailVerifiedAt != nil }

// MarkEmailVerified records the confirmation; confirming twice keeps the
// first time.
func (u *User) MarkEmailVerified(now time.Time) {
	if u.EmailVerifiedAt == nil {
		u.EmailVerifiedAt = &now
		u.UpdatedAt = now
	}
}

// Rename sets the display name.
func (u *User) Rename(name DisplayName, now time.Time) {
	u.DisplayName = name
	u.UpdatedAt = now
}

// SetPasswordHash replaces the password hash.
func (u *User) SetPasswordHash(hash string, now time.Time) {
	u.PasswordHash = hash
	u.UpdatedAt = now
}
