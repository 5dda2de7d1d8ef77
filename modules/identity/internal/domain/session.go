package domain

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Limits on what a client may make us store about its session.
const (
	maxUserAgentLen = 512
	maxIPLen        = 64
	// MaxDeviceNameLen bounds the name a client gives its device at login.
	MaxDeviceNameLen = 64
)

// Session is one login of a user on one device. It is live until it
// expires (an absolute lifetime fixed at login; refreshing does not extend
// it) or is revoked. Access tokens carry its ID, which is what revocation
// lists in Redis key on.
type Session struct {
	ID        uuid.UUID
	UserID    uuid.UUID
	UserAgent string
	// DeviceName is what the client called this device at login ("" when
	// it said nothing): a session is a device (ARCHITECTURE.md section 10).
	DeviceName string
	IP         string
	CreatedAt  time.Time
	LastUsedAt time.Time // login or latest refresh
	ExpiresAt  time.Time
	RevokedAt  *time.Time
}

// NewSession starts a session that lives for ttl. User agent and IP are
// client-supplied: they are cut to a bounded size before being stored.
func NewSession(userID uuid.UUID, userAgent, ip string, now time.Time, ttl time.Duration) (Session, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return Session{}, fmt.Errorf("new session id: %w", err)
	}
	return Session{
		ID: id, UserID: userID,
		UserAgent: truncate(userAgent, maxUserAgentLen), IP: truncate(ip, maxIPLen),
		CreatedAt: now, LastUsedAt: now, ExpiresAt: now.Add(ttl),
	}, nil
}

// NameDevice sets the device name, cut to MaxDeviceNameLen bytes.
func (s *Session) NameDevice(name string) { s.DeviceName = truncate(name, MaxDeviceNameLen) }

// Live reports whether the session may still be used at now.
func (s Session) Live(now time.Time) bool { return s.RevokedAt == nil && now.Before(s.ExpiresAt) }

// Revoke ends the session; revoking twice keeps the first time.
func (s *Session) Revoke(now time.Time) {
	if s.RevokedAt == nil {
		s.RevokedAt = &now
	}
}

// truncate cuts s to at most n bytes on a rune boundary, replacing invalid
// UTF-8 so the database (which requires valid UTF-8 text) accepts it.
func truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
