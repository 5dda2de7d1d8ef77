package domain

import "time"

// Action says how a membership changed; it is part of the event schema.
type Action string

// Membership actions: joined/left are the user's own doing, added/removed
// the owner's.
const (
	ActionJoined  Action = "joined"
	ActionLeft    Action = "left"
	ActionAdded   Action = "added"
	ActionRemoved Action = "removed"
)

// Member is an explicit member of a room.
type Member struct {
	UserID   string
	Role     Role
	JoinedAt time.Time
}

// Change is a decided membership change. Noop means the state already is
// what was asked (joining twice, removing a non-member): nothing is written
// and no event is produced, so retries are harmless.
type Change struct {
	RoomID string
	UserID string
	By     string
	Action Action
	Role   Role // the role granted by joined/added
	Noop   bool
}

// Adds reports whether the change creates a membership row.
func (c Change) Adds() bool { return c.Action == ActionJoined || c.Action == ActionAdded }

// Join decides whether userID (whose access is a) may join the room: only
// public rooms are joined freely; private rooms are joined by being added.
func Join(a Access, userID string) (Change, error) {
	if err := a.CanRead(); err != nil {
		return Change{}, err
	}
	if a.Room.Kind != KindPublic {
		return Change{}, because(ErrConflict, "only public rooms can be joined")
	}
	c := Change{RoomID: a.Room.ID, UserID: userID, By: userID, Action: ActionJoined, Role: RoleMember}
	c.Noop = a.Member()
	return c, nil
}

// Leave decides whether userID may leave. The owner cannot leave (the room
// would have nobody to manage it); global and direct rooms cannot be left.
func Leave(a Access, userID string) (Change, error) {
	if err := a.CanRead(); err != nil {
		return Change{}, err
	}
	switch {
	case a.Room.Kind == KindGlobal || a.Room.Kind == KindDirect:
		return Change{}, because(ErrConflict, "a "+string(a.Room.Kind)+" room cannot be left")
	case a.Role == RoleOwner:
		return Change{}, because(ErrConflict, "the owner cannot leave the room")
	}
	c := Change{RoomID: a.Room.ID, UserID: userID, By: userID, Action: ActionLeft}
	c.Noop = !a.Member()
	return c, nil
}

// AddMember decides whether the actor may add targetID (whose current role
// is target).
func AddMember(actor Access, actorID string, target Role, targetID string) (Change, error) {
	if err := actor.CanManage(); err != nil {
		return Change{}, err
	}
	c := Change{RoomID: actor.Room.ID, UserID: targetID, By: actorID, Action: ActionAdded, Role: RoleMember}
	c.Noop = target != RoleNone
	return c, nil
}

// RemoveMember decides whether the actor may remove targetID. The owner
// cannot remove themself.
func RemoveMember(actor Access, actorID string, target Role, targetID string) (Change, error) {
	if err := actor.CanManage(); err != nil {
		return Change{}, err
	}
	if targetID == actorID {
		return Change{}, because(ErrConflict, "the owner cannot be removed")
	}
	c := Change{RoomID: actor.Room.ID, UserID: targetID, By: actorID, Action: ActionRemoved}
	c.Noop = target == RoleNone
	return c, nil
}
