package domain

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Refusals a client must tell apart (ARCHITECTURE.md section 9): each
// matches ErrForbidden and carries its own code at the edges.
var (
	// ErrBlocked: a block stands between the two users of a direct room
	// (either way): it cannot be opened nor posted in. The blocked user
	// learns nothing more than this refusal.
	ErrBlocked error = reason{ErrForbidden, "a block prevents this conversation"}
	// ErrMuted: the caller is muted in the room and may not post until the
	// mute ends.
	ErrMuted error = reason{ErrForbidden, "you are muted in this room"}
	// ErrBanned: the caller is banned from the room and may not read,
	// join or be added until unbanned or the ban ends.
	ErrBanned error = reason{ErrForbidden, "you are banned from this room"}
	// ErrUserBanned: the user to add is banned from the room (code banned
	// too); unban them first.
	ErrUserBanned error = reason{ErrForbidden, "the user is banned from this room"}
)

// MaxReasonLength bounds moderation and report reasons, in characters.
const MaxReasonLength = 500

// rank orders roles for moderation: an actor acts only on lower ranks.
func (r Role) rank() int {
	switch r {
	case RoleOwner:
		return 3
	case RoleModerator:
		return 2
	case RoleMember:
		return 1
	}
	return 0
}

// Moderates reports whether the role deletes others' messages, mutes, bans
// and handles reports: the owner and moderators.
func (r Role) Moderates() bool { return r == RoleOwner || r == RoleModerator }

// CanModerate allows the owner and the moderators of a public or private
// room to moderate it; others who see the room get ErrForbidden.
func (a Access) CanModerate() error {
	if err := a.CanRead(); err != nil {
		return err
	}
	switch {
	case a.Room.Kind == KindGlobal || a.Room.Kind == KindDirect:
		return because(ErrForbidden, "a "+string(a.Room.Kind)+" room has no moderators")
	case !a.Role.Moderates():
		return because(ErrForbidden, "only the room owner or a moderator may do this")
	}
	return nil
}

// ModKind names a moderation action; it is part of the moderation log's
// schema.
type ModKind string

// Moderation actions.
const (
	ModRole    ModKind = "role"    // role changed (by the owner)
	ModMute    ModKind = "mute"    // muted until Until
	ModUnmute  ModKind = "unmute"  // mute lifted
	ModBan     ModKind = "ban"     // banned (and removed) until Until, or for good
	ModUnban   ModKind = "unban"   // ban lifted
	ModDelete  ModKind = "delete"  // a message deleted by a moderator
	ModHide    ModKind = "hide"    // a message hidden (automatic moderation)
	ModDismiss ModKind = "dismiss" // a report dismissed
)

// Target is the state of a moderation action's target user in the room,
// read under the room lock.
type Target struct {
	UserID     string
	Role       Role
	MutedUntil time.Time // zero: not muted now
	Banned     bool
}

// ModAction is a decided moderation action on a user of a room. Noop: the
// state already is what was asked (nothing written, nothing logged).
type ModAction struct {
	Kind    ModKind
	RoomID  string
	ActorID string // "" for automatic moderation
	UserID  string // the target
	Role    Role   // ModRole: the new role
	Until   time.Time
	Reason  string
	Noop    bool
	// Removes: a ban of a current member also removes them.
	Removes bool
}

// ValidateReason checks a free-text reason ("" allowed unless required).
func ValidateReason(field, s string, required bool) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "" && required:
		return "", invalid(field, "must not be empty")
	case !utf8.ValidString(s):
		return "", invalid(field, "must be valid UTF-8")
	case utf8.RuneCountInString(s) > MaxReasonLength:
		return "", invalid(field, "must be at most 500 characters")
	case strings.ContainsRune(s, 0):
		return "", invalid(field, "must not contain NUL characters")
	}
	return s, nil
}

// SetRole decides a role change: the owner only, on a member other than
// themself, to moderator or member (ownership is not transferred this way).
func SetRole(actor Access, actorID string, t Target, role Role) (ModAction, error) {
	if role != RoleModerator && role != RoleMember {
		return ModAction{}, invalid("role", "must be moderator or member")
	}
	if err := actor.CanManage(); err != nil {
		if actor.Role == RoleModerator {
			return ModAction{}, because(ErrForbidden, "only the room owner changes roles")
		}
		return ModAction{}, err
	}
	switch {
	case t.UserID == actorID:
		return ModAction{}, because(ErrConflict, "the owner's role cannot change")
	case t.Role == RoleNone:
		return ModAction{}, because(ErrConflict, "the user is not a member of the room")
	}
	return ModAction{Kind: ModRole, RoomID: actor.Room.ID, ActorID: actorID, UserID: t.UserID, Role: role, Noop: t.Role == role}, nil
}

// checkOver refuses an action of actor on a target of equal or higher rank
// (a moderator does not mute another moderator or the owner) or on themself.
func checkOver(actor Access, actorID string, t Target) error {
	if err := actor.CanModerate(); err != nil {
		return err
	}
	switch {
	case t.UserID == actorID:
		return because(ErrConflict, "you cannot moderate yourself")
	case t.Role.rank() >= actor.Role.rank():
		return because(ErrForbidden, "only the room owner moderates a moderator")
	}
	return nil
}

// Mute decides muting t until until (in the future) at now.
func Mute(actor Access, actorID string, t Target, until, now time.Time, reason string) (ModAction, error) {
	if !until.After(now) {
		return ModAction{}, invalid("until", "must be in the future")
	}
	if err := checkOver(actor, actorID, t); err != nil {
		return ModAction{}, err
	}
	return ModAction{Kind: ModMute, RoomID: actor.Room.ID, ActorID: actorID, UserID: t.UserID, Until: until, Reason: reason,
		Noop: t.MutedUntil.Equal(until)}, nil
}

// Unmute decides lifting t's mute.
func Unmute(actor Access, actorID string, t Target) (ModAction, error) {
	if err := checkOver(actor, actorID, t); err != nil {
		return ModAction{}, err
	}
	return ModAction{Kind: ModUnmute, RoomID: actor.Room.ID, ActorID: actorID, UserID: t.UserID, Noop: t.MutedUntil.IsZero()}, nil
}

// Ban decides banning t (zero until: until unbanned). A member is removed
// with the ban; a non-member may be banned ahead of joining.
func Ban(actor Access, actorID string, t Target, until, now time.Time, reason string) (ModAction, error) {
	if !until.IsZero() && !until.After(now) {
		return ModAction{}, invalid("until", "must be in the future")
	}
	if err := checkOver(actor, actorID, t); err != nil {
		return ModAction{}, err
	}
	return ModAction{Kind: ModBan, RoomID: actor.Room.ID, ActorID: actorID, UserID: t.UserID, Until: until, Reason: reason,
		Removes: t.Role != RoleNone}, nil
}

// Unban decides lifting t's ban.
func Unban(actor Access, actorID string, t Target) (ModAction, error) {
	if err := actor.CanModerate(); err != nil {
		return ModAction{}, err
	}
	return ModAction{Kind: ModUnban, RoomID: actor.Room.ID, ActorID: actorID, UserID: t.UserID, Noop: !t.Banned}, nil
}

// ModEntry is one row of a room's moderation log: who did what, when, why.
type ModEntry struct {
	ID        string
	RoomID    string
	ActorID   string // "" for automatic moderation
	Kind      ModKind
	UserID    string // target user, "" when none
	MessageID string // "" when none
	ReportID  string // "" when none
	Role      Role   // ModRole only
	Reason    string
	Until     time.Time
	CreatedAt time.Time
}

// Entry is the log row of an applied action.
func (m ModAction) Entry(id string, at time.Time) ModEntry {
	reason := m.Reason
	if m.Kind == ModRole {
		reason = "role: " + string(m.Role)
	}
	return ModEntry{ID: id, RoomID: m.RoomID, ActorID: m.ActorID, Kind: m.Kind, UserID: m.UserID, Role: m.Role, Reason: reason, Until: m.Until, CreatedAt: at}
}

// Moderation is a message's moderation state (wire: moderation). Zero:
// visible.
type Moderation struct {
	Status string // "hidden"
	Reason string
}

// ModerationHidden is Moderation.Status of a hidden message.
const ModerationHidden = "hidden"

// Hidden reports whether moderation hides m.
func (m Message) Hidden() bool { return m.Moderation.Status == ModerationHidden }

// Redacted is m as a user who does not moderate its room sees it: a
// hidden message keeps its place (seq, rev) and its moderation state but
// not its content nor attachments.
func (m Message) Redacted() Message {
	if m.Hidden() {
		m.Content, m.Attachments = "", nil
	}
	return m
}

// For returns m as the user with access a sees it.
func (m Message) For(a Access) Message {
	if a.Role.Moderates() {
		return m
	}
	return m.Redacted()
}

// Hide hides m for reason (automatic moderation or a moderator). changed
// is false when it already was hidden or is deleted.
func (m *Message) Hide(reason string) bool {
	if m.Deleted() || m.Hidden() {
		return false
	}
	m.Moderation = Moderation{Status: ModerationHidden, Reason: reason}
	return true
}

// Unhide shows a hidden m again (a report on it dismissed).
func (m *Message) Unhide() bool {
	if !m.Hidden() {
		return false
	}
	m.Moderation = Moderation{}
	return true
}

// Sanction is a running mute or ban of a user in a room.
type Sanction struct {
	UserID    string
	Until     time.Time // zero: a ban until unbanned
	ByID      string
	Reason    string
	CreatedAt time.Time
}
