// Package domain holds the presence rules in plain Go: a user is online
// while at least one of their connections holds an unexpired lease; leases
// are renewed by heartbeats and swept when they expire, so a gateway that
// dies without a goodbye cannot keep anyone online for longer than
// Timing.MaxOfflineDelay. Typing indicators expire on their own (TypingTable).
package domain

import (
	"errors"
	"strings"
	"time"
)

// ErrInvalid reports a lease or timing that breaks a rule.
var ErrInvalid = errors.New("presence: invalid")

// Status is a user's presence.
type Status string

// Statuses.
const (
	Online  Status = "online"
	Offline Status = "offline"
)

// Lease is one connection's claim that its user is online, until Expires.
type Lease struct {
	UserID  string
	ConnID  string
	Expires time.Time
}

// NewLease returns the lease of a connection seen alive at now.
func NewLease(userID, connID string, now time.Time, ttl time.Duration) (Lease, error) {
	if userID == "" || connID == "" {
		return Lease{}, errors.Join(ErrInvalid, errors.New("lease needs a user id and a connection id"))
	}
	// Stores join the two ids with '|' (one member per connection).
	if strings.Contains(userID, "|") || strings.Contains(connID, "|") {
		return Lease{}, errors.Join(ErrInvalid, errors.New("ids must not contain '|'"))
	}
	return Lease{UserID: userID, ConnID: connID, Expires: now.Add(ttl)}, nil
}

// Presence is what is known of a user: online or not, and when they were
// last seen going offline (zero if never).
type Presence struct {
	UserID   string
	Status   Status
	LastSeen time.Time
}

// Change is a transition of a user's presence, announced to the members of
// their rooms. LastSeen is set when going offline.
type Change struct {
	UserID   string
	Status   Status
	LastSeen time.Time
}

// Timing derives the heartbeat and sweep periods from the lease TTL.
type Timing struct {
	TTL       time.Duration // lease lifetime without renewal
	Heartbeat time.Duration // renew every live lease this often: TTL/3, so two heartbeats may be lost
	Sweep     time.Duration // look for expired leases this often
}

// NewTiming validates ttl (at least one second) and derives the periods.
func NewTiming(ttl time.Duration) (Timing, error) {
	if ttl < time.Second {
		return Timing{}, errors.Join(ErrInvalid, errors.New("presence TTL must be at least 1s"))
	}
	sweep := min(max(ttl/6, 250*time.Millisecond), 10*time.Second)
	return Timing{TTL: ttl, Heartbeat: ttl / 3, Sweep: sweep}, nil
}

// MaxOfflineDelay bounds how long a user whose last gateway died silently
// still shows online: the lease runs out, then the next sweep removes it
// (any gateway sweeps; one sweep is enough).
func (t Timing) MaxOfflineDelay() time.Duration { return t.TTL + t.Sweep }
