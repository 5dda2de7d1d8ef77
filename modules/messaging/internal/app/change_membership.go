package app

import (
	"context"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// Decide is a membership rule from the domain, applied by the store to the
// state it reads under the room lock: the actor's access and the target's
// current role.
type Decide func(actor domain.Access, target domain.Role) (domain.Change, error)

// MembershipChanger applies membership changes.
type MembershipChanger interface {
	// ChangeMembership, in one transaction holding the room row lock, reads
	// the actor's access and the target's role, calls decide and, unless the
	// change is a no-op, applies it: the membership row, the member count,
	// the target's read pointer (a new member starts with nothing unread)
	// and a membership.changed event. ErrNotFound when the room does not
	// exist; ErrUserNotFound when an added user does not.
	ChangeMembership(ctx context.Context, roomID, actorID, targetID string, decide Decide) (domain.Change, error)
}

// Join adds the caller to a public room (no-op when already in).
func (a *App) Join(ctx context.Context, userID, roomID string) (domain.Change, error) {
	return a.change(ctx, roomID, userID, userID, func(acc domain.Access, _ domain.Role) (domain.Change, error) {
		return domain.Join(acc, userID)
	})
}

// Leave removes the caller from a public or private room they do not own
// (no-op when not in).
func (a *App) Leave(ctx context.Context, userID, roomID string) (domain.Change, error) {
	return a.change(ctx, roomID, userID, userID, func(acc domain.Access, _ domain.Role) (domain.Change, error) {
		return domain.Leave(acc, userID)
	})
}

// AddMember lets the owner add a user (no-op when already in).
func (a *App) AddMember(ctx context.Context, ownerID, roomID, targetRaw string) (domain.Change, error) {
	target, err := ParseID("userId", targetRaw)
	if err != nil {
		return domain.Change{}, err
	}
	return a.change(ctx, roomID, ownerID, target, func(acc domain.Access, role domain.Role) (domain.Change, error) {
		return domain.AddMember(acc, ownerID, role, target)
	})
}

// RemoveMember lets the owner remove a member (no-op when not in).
func (a *App) RemoveMember(ctx context.Context, ownerID, roomID, targetRaw string) (domain.Change, error) {
	target, err := ParseID("userId", targetRaw)
	if err != nil {
		return domain.Change{}, err
	}
	return a.change(ctx, roomID, ownerID, target, func(acc domain.Access, role domain.Role) (domain.Change, error) {
		return domain.RemoveMember(acc, ownerID, role, target)
	})
}

func (a *App) change(ctx context.Context, roomRaw, actorID, targetID string, decide Decide) (domain.Change, error) {
	roomID, err := ParseID("id", roomRaw)
	if err != nil {
		return domain.Change{}, err
	}
	c, err := a.p.Members.ChangeMembership(ctx, roomID, actorID, targetID, decide)
	if err == nil && !c.Noop {
		a.wake()
	}
	return c, err
}
