package app

import (
	"context"
	"time"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// ReportStore keeps reports.
type ReportStore interface {
	// OpenReport stores r (open); while r.ReporterID's report of the same
	// message is open, that one is returned instead and nothing stored.
	OpenReport(ctx context.Context, r domain.Report) (domain.Report, error)
	// Report reads one report; ErrReportNotFound.
	Report(ctx context.Context, id string) (domain.Report, error)
	// Reports pages a room's reports of a status, oldest first, each with
	// its message.
	Reports(ctx context.Context, roomID, status string, q domain.ListQuery) ([]domain.Report, error)
	// ResolveReports resolves every open report of report id's message with
	// action, by, and writes entry to the moderation log (unless its Kind
	// is ""), in one transaction; ErrReportResolved when id is not open.
	ResolveReports(ctx context.Context, id string, action domain.Resolution, by string, entry domain.ModEntry) error
}

// MessageReader reads one message and the caller's access to its room.
type MessageReader interface {
	// MessageAccess returns message id and userID's access to its room;
	// ErrMessageNotFound when id names no message.
	MessageAccess(ctx context.Context, id, userID string) (domain.Access, domain.Message, error)
}

// ReportMessage opens a report of message id by userID (a member of its
// room) for the room's moderators. Reporting again while the report is
// open returns it unchanged.
func (a *App) ReportMessage(ctx context.Context, userID, id, reason string) (domain.Report, error) {
	id, err := ParseID("id", id)
	if err != nil {
		return domain.Report{}, err
	}
	if reason, err = domain.ValidateReason("reason", reason, true); err != nil {
		return domain.Report{}, err
	}
	acc, m, err := a.p.MessageReader.MessageAccess(ctx, id, userID)
	if err != nil {
		return domain.Report{}, err
	}
	if err := acc.CanReport(m); err != nil {
		return domain.Report{}, err
	}
	return a.p.Reports.OpenReport(ctx, domain.Report{ID: a.newID(), RoomID: m.RoomID, MessageID: m.ID, ReporterID: userID,
		Reason: reason, Status: domain.ReportOpen, CreatedAt: a.clock()})
}

// OpenAutoReport opens a report of message id by automatic moderation (no
// reporter, no membership check); at most one is open per message.
func (a *App) OpenAutoReport(ctx context.Context, id, reason string) (domain.Report, error) {
	id, err := ParseID("id", id)
	if err != nil {
		return domain.Report{}, err
	}
	if reason, err = domain.ValidateReason("reason", reason, true); err != nil {
		return domain.Report{}, err
	}
	_, m, err := a.p.MessageReader.MessageAccess(ctx, id, noUser)
	if err != nil {
		return domain.Report{}, err
	}
	return a.p.Reports.OpenReport(ctx, domain.Report{ID: a.newID(), RoomID: m.RoomID, MessageID: m.ID,
		Reason: reason, Status: domain.ReportOpen, CreatedAt: a.clock()})
}

// noUser stands for automatic moderation where a user id is read: it is
// nobody's id.
const noUser = "00000000-0000-0000-0000-000000000000"

// HideMessage hides message id (automatic moderation): its content is
// withheld from everyone but the room's moderators, and the room gets a
// message-updated without it. Hiding a hidden or deleted message changes
// nothing.
func (a *App) HideMessage(ctx context.Context, id, reason string) (domain.Message, error) {
	id, err := ParseID("id", id)
	if err != nil {
		return domain.Message{}, err
	}
	if reason, err = domain.ValidateReason("reason", reason, false); err != nil {
		return domain.Message{}, err
	}
	return a.changeLogged(ctx, id, noUser, func(_ domain.Access, m *domain.Message) (bool, *domain.ModEntry, error) {
		if !m.Hide(reason) {
			return false, nil, nil
		}
		return true, &domain.ModEntry{Kind: domain.ModHide, UserID: m.UserID, Reason: reason}, nil
	})
}

// Reports pages the reports of a room for its moderators (status "open"
// by default, or "resolved"), oldest first. next is the cursor of the
// following page ("" when none).
func (a *App) Reports(ctx context.Context, userID, roomID, status string, q domain.ListQuery) ([]domain.Report, string, error) {
	switch status {
	case "":
		status = domain.ReportOpen
	case domain.ReportOpen, domain.ReportResolved:
	default:
		return nil, "", &domain.InvalidError{Field: "status", Message: "must be open or resolved"}
	}
	return moderatorPage(ctx, a, userID, roomID, q,
		func(ctx context.Context, room string, q domain.ListQuery) ([]domain.Report, error) {
			return a.p.Reports.Reports(ctx, room, status, q)
		},
		func(r domain.Report) string { return r.ID })
}

// Resolution is a moderator's decision on a report: the action, and for
// mute and ban an optional end (mute: DefaultMuteDuration when zero; ban:
// until unbanned) and reason.
type Resolution struct {
	Action string
	Until  time.Time
	Reason string
}

// ResolveReport applies a moderator's decision to report id: dismiss (a
// message hidden by moderation is shown again), delete the message, mute
// or ban its author; then every open report of that message is resolved.
// ErrReportNotFound for a caller who does not moderate the room,
// ErrReportResolved when it was resolved already.
func (a *App) ResolveReport(ctx context.Context, userID, id string, res Resolution) (domain.Report, error) {
	id, err := ParseID("id", id)
	if err != nil {
		return domain.Report{}, err
	}
	action, err := domain.ParseResolution(res.Action)
	if err != nil {
		return domain.Report{}, err
	}
	rep, err := a.p.Reports.Report(ctx, id)
	if err != nil {
		return domain.Report{}, err
	}
	acc, err := a.p.Access.Access(ctx, rep.RoomID, userID)
	if err != nil {
		return domain.Report{}, err
	}
	if err := acc.CanModerate(); err != nil {
		if acc.Member() {
			return domain.Report{}, err
		}
		return domain.Report{}, domain.ErrReportNotFound
	}
	if rep.Status != domain.ReportOpen {
		return domain.Report{}, domain.ErrReportResolved
	}
	now := a.clock()
	var entry domain.ModEntry // logged with the resolution when the action logs nothing itself
	switch action {
	case domain.ResolveDismiss:
		entry = domain.ModEntry{Kind: domain.ModDismiss}
		if _, err := a.changeLogged(ctx, rep.MessageID, userID, func(_ domain.Access, m *domain.Message) (bool, *domain.ModEntry, error) {
			return m.Unhide(), nil, nil
		}); err != nil {
			return domain.Report{}, err
		}
	case domain.ResolveDelete:
		// Logged by the deletion itself, with the report.
		if _, err := a.deleteMessage(ctx, userID, rep.MessageID, domain.ModEntry{ReportID: rep.ID, Reason: resolveReason(res.Reason, rep)}); err != nil {
			return domain.Report{}, err
		}
	case domain.ResolveMute:
		until := res.Until
		if until.IsZero() {
			until = now.Add(a.muteFor)
		}
		if err := a.authorOf(ctx, rep, func(author string) error {
			_, err := a.Mute(ctx, userID, rep.RoomID, author, until, resolveReason(res.Reason, rep))
			return err
		}); err != nil {
			return domain.Report{}, err
		}
	case domain.ResolveBan:
		if err := a.authorOf(ctx, rep, func(author string) error {
			_, err := a.Ban(ctx, userID, rep.RoomID, author, res.Until, resolveReason(res.Reason, rep))
			return err
		}); err != nil {
			return domain.Report{}, err
		}
	}
	if entry.Kind != "" {
		entry.ID, entry.RoomID, entry.ActorID, entry.MessageID, entry.CreatedAt = a.newID(), rep.RoomID, userID, rep.MessageID, now
		entry.ReportID, entry.Reason = rep.ID, res.Reason
	}
	entry.CreatedAt = now
	if err := a.p.Reports.ResolveReports(ctx, rep.ID, action, userID, entry); err != nil {
		return domain.Report{}, err
	}
	rep.Status, rep.Action, rep.ResolvedBy, rep.ResolvedAt = domain.ReportResolved, action, userID, now
	return rep, nil
}

// authorOf calls fn with the author of the reported message.
func (a *App) authorOf(ctx context.Context, rep domain.Report, fn func(author string) error) error {
	_, m, err := a.p.MessageReader.MessageAccess(ctx, rep.MessageID, noUser)
	if err != nil {
		return err
	}
	return fn(m.UserID)
}

// resolveReason is the moderator's reason, else the report's.
func resolveReason(given string, rep domain.Report) string {
	if given != "" {
		return given
	}
	return rep.Reason
}
