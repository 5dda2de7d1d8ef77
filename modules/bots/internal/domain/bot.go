// Package domain holds the bots module's rules: what a bot and its token
// are. Plain Go.
package domain

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// MaxNameLen matches users.display_name (a bot's name is its display name).
const MaxNameLen = 64

// Errors of the module's rules.
var (
	ErrNotFound    = errors.New("bots: no such bot")
	ErrInvalidName = errors.New("bots: name must be 1 to 64 characters, no control characters")
)

// Bot is a bot account. Invariant: ID is also its users row's id; a
// revoked bot (RevokedAt set) authenticates no more and stays revoked.
type Bot struct {
	ID        uuid.UUID
	OwnerID   uuid.UUID
	Name      string
	TokenHash [32]byte
	CreatedAt time.Time
	RevokedAt *time.Time
}

// ParseName trims and checks a bot name.
func ParseName(s string) (string, error) {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	if n < 1 || n > MaxNameLen || !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", ErrInvalidName
	}
	return s, nil
}

// NewToken returns a fresh bot token: the prefix and 32 random bytes,
// base64url. Only the caller sees it; the store keeps its hash.
func NewToken(prefix string) string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// NewBot creates a bot owned by owner with the given token hash.
func NewBot(owner uuid.UUID, name string, hash [32]byte, now time.Time) (Bot, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return Bot{}, fmt.Errorf("new bot id: %w", err)
	}
	return Bot{ID: id, OwnerID: owner, Name: name, TokenHash: hash, CreatedAt: now}, nil
}

// Email is the reserved address of a bot's users row: users.email is NOT
// NULL and unique, and .invalid (RFC 2606) can never receive mail.
func (b Bot) Email() string { return b.ID.String() + "@bots.invalid" }
