package messaging

import (
	"context"
	"time"

	"github.com/chatforge/chat/modules/messaging/internal/app"
	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// Safety (ARCHITECTURE.md section 9): blocks, room roles, mutes, bans,
// reports and the moderation log. The REST API mounted by Routes covers
// them; these methods are the Go API for other modules (automatic
// moderation opens reports and hides messages through OpenReport and
// HideMessage).

// Room roles, as member lists show them.
const (
	RoleOwner     = string(domain.RoleOwner)
	RoleModerator = string(domain.RoleModerator)
	RoleMember    = string(domain.RoleMember)
)

// Moderation is a message's moderation state (Message.Moderation): zero
// when visible, Status ModerationHidden when hidden.
type Moderation = domain.Moderation

// ModerationHidden is Moderation.Status of a hidden message.
const ModerationHidden = domain.ModerationHidden

// Report is a report of a message to its room's moderators. ReporterID is
// "" for automatic moderation; Status is "open" or "resolved"; Action is
// set once resolved ("dismiss", "delete", "mute" or "ban"). Message is
// set in moderation-queue listings.
type Report = domain.Report

// ModEntry is one row of a room's moderation log.
type ModEntry = domain.ModEntry

// Block is a user the caller blocks, and since when.
type Block = domain.Block

// Resolution is a moderator's decision on a report (see ResolveReport).
type Resolution = app.Resolution

// Block makes userID block targetID (idempotent, private).
func (m *Module) Block(ctx context.Context, userID, targetID string) error {
	return m.app.Block(ctx, userID, targetID)
}

// Unblock lifts userID's block of targetID (idempotent).
func (m *Module) Unblock(ctx context.Context, userID, targetID string) error {
	return m.app.Unblock(ctx, userID, targetID)
}

// SetRole makes targetID a "moderator" or a "member" of the room (its
// owner only).
func (m *Module) SetRole(ctx context.Context, ownerID, roomID, targetID, role string) error {
	_, err := m.app.SetRole(ctx, ownerID, roomID, targetID, role)
	return err
}

// Mute keeps targetID from posting in the room until until (a moderator).
func (m *Module) Mute(ctx context.Context, actorID, roomID, targetID string, until time.Time, reason string) error {
	_, err := m.app.Mute(ctx, actorID, roomID, targetID, until, reason)
	return err
}

// Ban removes targetID from the room and keeps them out until until (zero:
// until unbanned); a moderator.
func (m *Module) Ban(ctx context.Context, actorID, roomID, targetID string, until time.Time, reason string) error {
	_, err := m.app.Ban(ctx, actorID, roomID, targetID, until, reason)
	return err
}

// ReportMessage opens userID's report of message messageID (a member of
// its room); reporting again while it is open returns the open report.
func (m *Module) ReportMessage(ctx context.Context, userID, messageID, reason string) (Report, error) {
	return m.app.ReportMessage(ctx, userID, messageID, reason)
}

// OpenReport opens a report of message messageID by automatic moderation
// (no reporter; at most one open per message) for the room's moderators.
// ErrMessageNotFound when there is no such message; ErrInvalid for an
// empty or over-long reason (at most 500 characters).
func (m *Module) OpenReport(ctx context.Context, messageID, reason string) (Report, error) {
	return m.app.OpenAutoReport(ctx, messageID, reason)
}

// HideMessage hides message messageID (automatic moderation): it gets
// moderation {status: "hidden", reason}, its content and attachments are
// withheld from everyone but the room's owner and moderators, and the
// room gets message-updated (without the content). Logged in the room's
// moderation log (no actor). Hiding a hidden or deleted message changes
// nothing. A moderator's "dismiss" of a report on it shows it again.
func (m *Module) HideMessage(ctx context.Context, messageID, reason string) (Message, error) {
	d, err := m.app.HideMessage(ctx, messageID, reason)
	return messageFrom(d), err
}

// ResolveReport applies a moderator's decision to report reportID.
func (m *Module) ResolveReport(ctx context.Context, userID, reportID string, r Resolution) (Report, error) {
	return m.app.ResolveReport(ctx, userID, reportID, r)
}

// Reports lists the open ("open" or "") or resolved reports of a room for
// its owner and moderators, oldest first (the first 100).
func (m *Module) Reports(ctx context.Context, userID, roomID, status string) ([]Report, error) {
	items, _, err := m.app.Reports(ctx, userID, roomID, status, domain.ListQuery{Limit: 100})
	return items, err
}
