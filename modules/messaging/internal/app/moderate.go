package app

import (
	"context"
	"time"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// DecideMod is a moderation rule from the domain, applied by the store to
// the state it reads under the room lock: the actor's access and the
// target's role, mute and ban.
type DecideMod func(actor domain.Access, target domain.Target) (domain.ModAction, error)

// Moderator applies moderation actions and reads their log.
type Moderator interface {
	// Moderate, in one transaction holding the room row lock, reads the
	// actor's access and the target's state, calls decide and, unless the
	// action is a no-op, applies it (role, mute, unmute, ban with the
	// member's removal and its membership.changed event, unban) and logs
	// it. ErrNotFound when the room does not exist; ErrUserNotFound when
	// the target does not.
	Moderate(ctx context.Context, roomID, actorID, targetID string, decide DecideMod) (domain.ModAction, error)
	// ModLog pages a room's log, newest first, before q.After.
	ModLog(ctx context.Context, roomID string, q domain.ListQuery) ([]domain.ModEntry, error)
	// Sanctions pages a room's running mutes (bans false) or bans by user
	// id after q.After.
	Sanctions(ctx context.Context, roomID string, bans bool, q domain.ListQuery) ([]domain.Sanction, error)
}

// Sanctions pages a room's running mutes or bans for its moderators. next
// is the cursor of the following page ("" when none).
func (a *App) Sanctions(ctx context.Context, userID, roomID string, bans bool, q domain.ListQuery) ([]domain.Sanction, string, error) {
	return moderatorPage(ctx, a, userID, roomID, q,
		func(ctx context.Context, room string, q domain.ListQuery) ([]domain.Sanction, error) {
			return a.p.Moderation.Sanctions(ctx, room, bans, q)
		},
		func(s domain.Sanction) string { return s.UserID })
}

// DefaultMuteDuration is how long a report resolved with "mute" mutes the
// author when the moderator gives no end.
const DefaultMuteDuration = 24 * time.Hour

// SetRole lets the owner make a member a moderator or a member again.
func (a *App) SetRole(ctx context.Context, ownerID, roomID, targetRaw, role string) (domain.ModAction, error) {
	return a.moderate(ctx, roomID, ownerID, targetRaw, func(acc domain.Access, t domain.Target) (domain.ModAction, error) {
		return domain.SetRole(acc, ownerID, t, domain.Role(role))
	})
}

// Mute lets a moderator mute a user until until.
func (a *App) Mute(ctx context.Context, actorID, roomID, targetRaw string, until time.Time, reason string) (domain.ModAction, error) {
	reason, err := domain.ValidateReason("reason", reason, false)
	if err != nil {
		return domain.ModAction{}, err
	}
	now := a.clock()
	until = until.UTC().Truncate(time.Microsecond)
	return a.moderate(ctx, roomID, actorID, targetRaw, func(acc domain.Access, t domain.Target) (domain.ModAction, error) {
		return domain.Mute(acc, actorID, t, until, now, reason)
	})
}

// Unmute lets a moderator lift a mute.
func (a *App) Unmute(ctx context.Context, actorID, roomID, targetRaw string) (domain.ModAction, error) {
	return a.moderate(ctx, roomID, actorID, targetRaw, func(acc domain.Access, t domain.Target) (domain.ModAction, error) {
		return domain.Unmute(acc, actorID, t)
	})
}

// Ban lets a moderator ban a user (zero until: until unbanned), removing
// them from the room.
func (a *App) Ban(ctx context.Context, actorID, roomID, targetRaw string, until time.Time, reason string) (domain.ModAction, error) {
	reason, err := domain.ValidateReason("reason", reason, false)
	if err != nil {
		return domain.ModAction{}, err
	}
	now := a.clock()
	if !until.IsZero() {
		until = until.UTC().Truncate(time.Microsecond)
	}
	return a.moderate(ctx, roomID, actorID, targetRaw, func(acc domain.Access, t domain.Target) (domain.ModAction, error) {
		return domain.Ban(acc, actorID, t, until, now, reason)
	})
}

// Unban lets a moderator lift a ban.
func (a *App) Unban(ctx context.Context, actorID, roomID, targetRaw string) (domain.ModAction, error) {
	return a.moderate(ctx, roomID, actorID, targetRaw, func(acc domain.Access, t domain.Target) (domain.ModAction, error) {
		return domain.Unban(acc, actorID, t)
	})
}

// ModLog pages a room's moderation log for its moderators. next is the
// cursor of the following page ("" when none).
func (a *App) ModLog(ctx context.Context, userID, roomID string, q domain.ListQuery) ([]domain.ModEntry, string, error) {
	return moderatorPage(ctx, a, userID, roomID, q, a.p.Moderation.ModLog, func(e domain.ModEntry) string { return e.ID })
}

func (a *App) moderate(ctx context.Context, roomRaw, actorID, targetRaw string, decide DecideMod) (domain.ModAction, error) {
	roomID, err := ParseID("id", roomRaw)
	if err != nil {
		return domain.ModAction{}, err
	}
	target, err := ParseID("userId", targetRaw)
	if err != nil {
		return domain.ModAction{}, err
	}
	act, err := a.p.Moderation.Moderate(ctx, roomID, actorID, target, decide)
	if err == nil && act.Removes {
		a.wake()
	}
	return act, err
}
