package domain

import "time"

// Report statuses.
const (
	ReportOpen     = "open"
	ReportResolved = "resolved"
)

// Resolution is what a moderator does with a report; it is part of the
// REST schema (action).
type Resolution string

// Resolutions: dismiss the report (and show the message again if
// moderation hid it), delete the message, mute or ban its author.
const (
	ResolveDismiss Resolution = "dismiss"
	ResolveDelete  Resolution = "delete"
	ResolveMute    Resolution = "mute"
	ResolveBan     Resolution = "ban"
)

// ParseResolution validates a resolution.
func ParseResolution(s string) (Resolution, error) {
	switch r := Resolution(s); r {
	case ResolveDismiss, ResolveDelete, ResolveMute, ResolveBan:
		return r, nil
	}
	return "", invalid("action", "must be dismiss, delete, mute or ban")
}

// Report is a member's (or automatic moderation's) report of a message to
// the room's moderators.
type Report struct {
	ID         string
	RoomID     string
	MessageID  string
	ReporterID string // "" for automatic moderation
	Reason     string
	Status     string // ReportOpen or ReportResolved
	Action     Resolution
	ResolvedBy string
	ResolvedAt time.Time
	CreatedAt  time.Time
	// Message is the reported message as moderators see it, when read
	// with the report (the moderation queue).
	Message *Message
}

// CanReport allows members of the message's room to report it; everyone
// else is told the message does not exist. Deleted messages are not
// reported (nothing is left to moderate).
func (a Access) CanReport(m Message) error {
	if err := a.CanChange(); err != nil {
		return err
	}
	if m.Deleted() {
		return because(ErrConflict, "a deleted message cannot be reported")
	}
	return nil
}

// Report errors.
var (
	// ErrReportNotFound: no such report, or the caller does not moderate
	// its room. It matches ErrNotFound.
	ErrReportNotFound error = reason{ErrNotFound, "report not found"}
	// ErrReportResolved: the report was resolved already. It matches
	// ErrConflict.
	ErrReportResolved error = reason{ErrConflict, "the report is already resolved"}
)

// Block is a user the caller blocks, and since when.
type Block struct {
	UserID    string
	CreatedAt time.Time
}
