// Package domain holds the messaging rules in plain Go: room kinds and who
// may do what in them, message content rules, membership decisions and the
// events every change produces. It knows nothing of storage or transport.
package domain

import "errors"

// Sentinel errors. The root package re-exports them, adapters translate
// driver errors into them and each edge maps them once (HTTP problem table,
// socket error frame).
var (
	// ErrNotFound: the room does not exist or the caller may not see it
	// (a non-member of a private or direct room is told the same).
	ErrNotFound = errors.New("not found")
	// ErrUserNotFound: a user named in the request does not exist.
	ErrUserNotFound = errors.New("user not found")
	// ErrForbidden: the caller sees the room but may not do this
	// (a member who is not the owner, a non-member of a public room posting).
	ErrForbidden = errors.New("forbidden")
	// ErrConflict: the room's kind or state does not allow the operation
	// (joining a private room, the owner leaving, leaving the global room).
	ErrConflict = errors.New("conflict")
	// ErrInvalid: input breaks a rule; the error is an *InvalidError naming
	// the field.
	ErrInvalid = errors.New("invalid input")
)

// InvalidError tells which input field breaks which rule. It matches
// ErrInvalid with errors.Is.
type InvalidError struct {
	Field   string
	Message string
}

func (e *InvalidError) Error() string { return e.Field + ": " + e.Message }

// Is makes errors.Is(err, ErrInvalid) true.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

func invalid(field, msg string) error { return &InvalidError{Field: field, Message: msg} }

// reason wraps a sentinel with a human explanation kept in Error().
type reason struct {
	sentinel error
	msg      string
}

func (r reason) Error() string { return r.msg }
func (r reason) Unwrap() error { return r.sentinel }

func because(sentinel error, msg string) error { return reason{sentinel, msg} }
