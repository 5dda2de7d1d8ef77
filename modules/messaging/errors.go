package messaging

import (
	"github.com/chatforge/chat/modules/messaging/internal/domain"
	"github.com/chatforge/chat/platform/outage"
)

// Sentinel errors returned by the Module's methods; test with errors.Is.
// They are the domain's own values, so errors from every layer match.
var (
	// ErrNotFound: the room does not exist, or the caller may not see it (a
	// non-member of a private or direct room). Answer 404 / "not_found".
	ErrNotFound = domain.ErrNotFound
	// ErrMessageNotFound: the message does not exist, or the caller is not
	// a member of its room. It matches ErrNotFound. 404 / "not_found".
	ErrMessageNotFound = domain.ErrMessageNotFound
	// ErrUserNotFound: a user named in the request does not exist.
	ErrUserNotFound = domain.ErrUserNotFound
	// ErrForbidden: the caller sees the room but may not do this (not the
	// owner; posting in a public room without joining). 403 / "forbidden".
	ErrForbidden = domain.ErrForbidden
	// ErrConflict: the room's kind or state forbids the operation (joining a
	// private room, the owner leaving). 409 / "conflict".
	ErrConflict = domain.ErrConflict
	// ErrInvalid: bad input; the error is an *InvalidError naming the
	// field. 422 / "invalid".
	ErrInvalid = domain.ErrInvalid
	// ErrBlocked: a block stands between the two users of a direct room.
	// It matches ErrForbidden. 403 / code "blocked".
	ErrBlocked = domain.ErrBlocked
	// ErrMuted: the caller is muted in the room. It matches ErrForbidden.
	// 403 / code "muted".
	ErrMuted = domain.ErrMuted
	// ErrBanned: the caller (or, ErrUserBanned, the user to add) is banned
	// from the room. They match ErrForbidden. 403 / code "banned".
	ErrBanned     = domain.ErrBanned
	ErrUserBanned = domain.ErrUserBanned
	// ErrReportNotFound: no such report, or the caller does not moderate
	// its room. It matches ErrNotFound.
	ErrReportNotFound = domain.ErrReportNotFound
	// ErrReportResolved: the report was resolved already. It matches
	// ErrConflict.
	ErrReportResolved = domain.ErrReportResolved
	// ErrUnavailable: PostgreSQL or Redis could not be reached; retry
	// later. 503 / "unavailable". The adapters' errors carry it as marked
	// by the platform (platform/database, platform/redisconn).
	ErrUnavailable = outage.ErrUnavailable
)

// InvalidError names the input field that breaks a rule, and the rule.
type InvalidError = domain.InvalidError
