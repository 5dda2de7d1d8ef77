package domain

import (
	"strings"
	"time"
	"unicode/utf8"
)

// GlobalRoomID is the room every user is in; the migration creates it.
const GlobalRoomID = "00000000-0000-0000-0000-000000000001"

// MaxRoomNameLength bounds room names, in characters (runes).
const MaxRoomNameLength = 100

// Kind is the kind of a room; it decides who may read, post and manage.
type Kind string

// Room kinds.
const (
	KindGlobal  Kind = "global"  // everyone, implicitly; nobody manages it
	KindPublic  Kind = "public"  // anyone may read, join and leave; the owner manages members
	KindPrivate Kind = "private" // invisible to non-members; the owner manages members
	KindDirect  Kind = "direct"  // exactly two users, fixed for life
)

// Role is a user's place in a room. RoleNone means not a member.
type Role string

// Roles.
const (
	RoleNone      Role = ""
	RoleMember    Role = "member"
	RoleModerator Role = "moderator" // deletes any message, mutes, bans, handles reports
	RoleOwner     Role = "owner"
)

// Room is a conversation. LastSeq is the seq of its newest message (0: none).
// For direct rooms Pair holds both users, lowest first.
type Room struct {
	ID          string
	Kind        Kind
	Name        string
	OwnerID     string
	Pair        [2]string
	LastSeq     int64
	MemberCount int
	CreatedAt   time.Time
	// Encrypted rooms carry end-to-end encrypted messages only (set at
	// creation, never changed; see ciphertext.go).
	Encrypted bool
}

// Peer returns the other user of a direct room as seen by userID ("" for
// other kinds).
func (r Room) Peer(userID string) string {
	if r.Kind != KindDirect {
		return ""
	}
	if r.Pair[0] == userID {
		return r.Pair[1]
	}
	return r.Pair[0]
}

// Access is what a user may do in a room: the room and the user's role in
// it. Every use case derives its authorization from one Access.
type Access struct {
	Room Room
	Role Role
	// The user's safety state in the room, read with the access: muted
	// until MutedUntil (zero: not muted; only a mute still running is
	// read), banned (a banned user has no membership), and, in a direct
	// room, a block between the pair, either way.
	MutedUntil time.Time
	Banned     bool
	Blocked    bool
}

// Member reports whether the user is in the room (always in the global one).
func (a Access) Member() bool { return a.Room.Kind == KindGlobal || a.Role != RoleNone }

// CanRead allows members, and anyone for global and public rooms. A
// non-member of a private or direct room gets ErrNotFound: the room's
// existence is not revealed.
func (a Access) CanRead() error {
	switch {
	case a.Member():
		return nil
	case a.Banned && a.Room.Kind == KindPublic:
		return ErrBanned
	case a.Room.Kind == KindPublic:
		return nil
	}
	return ErrNotFound
}

// CanPost allows members only. A non-member of a public room is told to
// join first (ErrForbidden); of a private or direct room, ErrNotFound.
// Marking read follows the same rule.
func (a Access) CanPost() error {
	if err := a.CanRead(); err != nil {
		return err
	}
	switch {
	case !a.Member():
		return because(ErrForbidden, "join the room first")
	case a.Blocked:
		return ErrBlocked
	case !a.MutedUntil.IsZero():
		return ErrMuted
	}
	return nil
}

// CanManage allows the owner of a public or private room to add and remove
// members.
func (a Access) CanManage() error {
	if err := a.CanRead(); err != nil {
		return err
	}
	switch {
	case a.Room.Kind == KindGlobal || a.Room.Kind == KindDirect:
		return because(ErrConflict, "members of a "+string(a.Room.Kind)+" room cannot be changed")
	case a.Role != RoleOwner:
		return because(ErrForbidden, "only the room owner manages members")
	}
	return nil
}

// NewRoom validates and builds a public or private room owned by ownerID.
func NewRoom(id, ownerID, name string, kind Kind, now time.Time) (Room, error) {
	if kind != KindPublic && kind != KindPrivate {
		return Room{}, invalid("kind", "must be public or private")
	}
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return Room{}, invalid("name", "must not be empty")
	case !utf8.ValidString(name):
		return Room{}, invalid("name", "must be valid UTF-8")
	case utf8.RuneCountInString(name) > MaxRoomNameLength:
		return Room{}, invalid("name", "must be at most 100 characters")
	case strings.ContainsRune(name, 0):
		return Room{}, invalid("name", "must not contain NUL characters")
	}
	return Room{ID: id, Kind: kind, Name: name, OwnerID: ownerID, CreatedAt: now}, nil
}

// NewDirectRoom builds the direct room of two distinct users. The pair is
// ordered so the same two users always map to the same row.
func NewDirectRoom(id, userID, otherID string, now time.Time) (Room, error) {
	if userID == otherID {
		return Room{}, invalid("userId", "must be another user")
	}
	pair := [2]string{userID, otherID}
	if pair[1] < pair[0] {
		pair[0], pair[1] = pair[1], pair[0]
	}
	return Room{ID: id, Kind: KindDirect, Pair: pair, CreatedAt: now}, nil
}
