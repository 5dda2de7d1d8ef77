package app

import (
	"context"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// MaxInitialMembers bounds memberIds when creating a room; more are added
// one by one.
const MaxInitialMembers = 100

// RoomWriter creates rooms.
type RoomWriter interface {
	// Create stores a public or private room with its members (the owner
	// first) and a membership.changed event per member, in one transaction.
	// ErrUserNotFound when a member does not exist.
	Create(ctx context.Context, room domain.Room, members []domain.Member) error
	// OpenDirect returns the direct room of room.Pair, creating it with both
	// members (and their events) when it does not exist yet; created tells
	// which. Concurrent calls for one pair yield one room.
	OpenDirect(ctx context.Context, room domain.Room, by string) (stored domain.Room, created bool, err error)
}

// CreateRoom creates a public or private room owned by userID, with the
// given members added.
func (a *App) CreateRoom(ctx context.Context, userID, name string, kind domain.Kind, memberIDs []string) (domain.RoomView, []domain.Member, error) {
	return a.CreateRoomWith(ctx, userID, name, kind, memberIDs, RoomOptions{})
}

// RoomOptions are the optional settings of a new room.
type RoomOptions struct {
	// Encrypted makes an end-to-end encrypted room: its messages carry a
	// ciphertext, never content (domain.Access.CheckBody).
	Encrypted bool
}

// CreateRoomWith is CreateRoom with options.
func (a *App) CreateRoomWith(ctx context.Context, userID, name string, kind domain.Kind, memberIDs []string, o RoomOptions) (domain.RoomView, []domain.Member, error) {
	now := a.clock()
	room, err := domain.NewRoom(a.newID(), userID, name, kind, now)
	if err != nil {
		return domain.RoomView{}, nil, err
	}
	room.Encrypted = o.Encrypted
	if len(memberIDs) > MaxInitialMembers {
		return domain.RoomView{}, nil, &domain.InvalidError{Field: "memberIds", Message: "must list at most 100 users"}
	}
	members := []domain.Member{{UserID: userID, Role: domain.RoleOwner, JoinedAt: now}}
	seen := map[string]bool{userID: true}
	for _, raw := range memberIDs {
		id, err := ParseID("memberIds", raw)
		if err != nil {
			return domain.RoomView{}, nil, err
		}
		if !seen[id] {
			seen[id] = true
			members = append(members, domain.Member{UserID: id, Role: domain.RoleMember, JoinedAt: now})
		}
	}
	room.MemberCount = len(members)
	if err := a.p.Rooms.Create(ctx, room, members); err != nil {
		return domain.RoomView{}, nil, err
	}
	a.wake()
	return domain.RoomView{Room: room, Role: domain.RoleOwner}, members, nil
}

// OpenDirect returns the direct room between userID and otherID, creating
// it on first use. Asking again, from either side, gives the same room.
func (a *App) OpenDirect(ctx context.Context, userID, otherRaw string) (domain.RoomView, bool, error) {
	otherID, err := ParseID("userId", otherRaw)
	if err != nil {
		return domain.RoomView{}, false, err
	}
	room, err := domain.NewDirectRoom(a.newID(), userID, otherID, a.clock())
	if err != nil {
		return domain.RoomView{}, false, err
	}
	// Either way: the blocked user cannot reach the blocker, and the
	// blocker does not write to someone they block.
	if blocked, err := a.p.Blocks.BlockedEither(ctx, userID, otherID); err != nil {
		return domain.RoomView{}, false, err
	} else if blocked {
		return domain.RoomView{}, false, domain.ErrBlocked
	}
	stored, created, err := a.p.Rooms.OpenDirect(ctx, room, userID)
	if err != nil {
		return domain.RoomView{}, false, err
	}
	if created {
		a.wake()
		return domain.RoomView{Room: stored, Role: domain.RoleMember}, true, nil
	}
	// An existing room has messages and a read pointer: read it back as the
	// caller sees it.
	view, err := a.p.Reader.View(ctx, stored.ID, userID)
	return view, false, err
}
