// Package seed sets up the users, sessions, rooms, memberships and history
// that the load workloads need, in seconds: rows go in with PostgreSQL COPY
// in one transaction, and access tokens are minted offline with the api's
// signing key (and cached, since RSA signing is the slow part: ~1 ms each).
//
// Every id is derived from an index, so a seed file, the token cache and a
// freshly seeded database always agree: user i is UserID(i), its session
// SessionID(i), its group room GroupRoomID(i / RoomSize).
package seed

import (
	"errors"
	"fmt"
)

// Id prefixes. They are valid version-4-shaped UUIDs in a range no real
// uuid.New() is likely to hit, and "10ad" makes seeded rows easy to spot.
const (
	userPrefix    = "10ad0000-0000-4000-8000-"
	sessionPrefix = "10ad0001-0000-4000-8000-"
	roomPrefix    = "10ad0002-0000-4000-8000-"
	messagePrefix = "10ad0004-0000-4000-8000-"
	// BigRoomID is the one large room of the broadcast workload.
	BigRoomID = "10ad0003-0000-4000-8000-000000000000"
)

// Password is the password of every seeded user (one precomputed hash is
// stored for all of them, so login works too).
const Password = "load-test-password"

// UserID returns the id of seeded user i.
func UserID(i int) string { return fmt.Sprintf("%s%012x", userPrefix, i) }

// SessionID returns the id of seeded user i's session.
func SessionID(i int) string { return fmt.Sprintf("%s%012x", sessionPrefix, i) }

// GroupRoomID returns the id of group room r.
func GroupRoomID(r int) string { return fmt.Sprintf("%s%012x", roomPrefix, r) }

func messageID(i int) string { return fmt.Sprintf("%s%012x", messagePrefix, i) }

// Email returns seeded user i's address.
func Email(i int) string { return fmt.Sprintf("load%d@load.test", i) }

// Layout is the shape of the seeded data.
//
// Users 0..Users-1 are split into group rooms of RoomSize consecutive users
// (user i in room i/RoomSize; a last partial group gets no room). Users
// 0..BigRoomMembers-1 are also members of the big room. The first
// HistoryRooms group rooms hold MessagesPerRoom messages each (seq 1..M).
type Layout struct {
	Users           int `json:"users"`
	RoomSize        int `json:"roomSize"`
	BigRoomMembers  int `json:"bigRoomMembers"`
	HistoryRooms    int `json:"historyRooms"`
	MessagesPerRoom int `json:"messagesPerRoom"`
	// PlainHistory seeds the history without edits and reactions (see
	// EditEvery), to compare pages with and without them.
	PlainHistory bool `json:"plainHistory,omitempty"`
}

// Validate checks the layout is consistent.
func (l Layout) Validate() error {
	var errs []error
	if l.Users < 1 || l.Users > 1<<24 {
		errs = append(errs, fmt.Errorf("users must be 1..%d (got %d)", 1<<24, l.Users))
	}
	if l.RoomSize < 1 {
		errs = append(errs, fmt.Errorf("room size must be >= 1 (got %d)", l.RoomSize))
	}
	if l.BigRoomMembers < 0 || l.BigRoomMembers > l.Users {
		errs = append(errs, fmt.Errorf("big room members must be 0..users (got %d)", l.BigRoomMembers))
	}
	if l.RoomSize >= 1 && (l.HistoryRooms < 0 || l.HistoryRooms > l.GroupRooms()) {
		errs = append(errs, fmt.Errorf("history rooms must be 0..%d (got %d)", l.GroupRooms(), l.HistoryRooms))
	}
	if l.MessagesPerRoom < 0 {
		errs = append(errs, errors.New("messages per room must be >= 0"))
	}
	return errors.Join(errs...)
}

// GroupRooms is the number of group rooms.
func (l Layout) GroupRooms() int { return l.Users / l.RoomSize }

// RoomOf returns the group room of user i, or false when i is in none.
func (l Layout) RoomOf(i int) (int, bool) {
	r := i / l.RoomSize
	return r, i >= 0 && r < l.GroupRooms()
}
