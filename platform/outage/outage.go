// Package outage tells a dependency outage from a bug. The packages that
// own a driver (platform/database for PostgreSQL, platform/redisconn for
// Redis) mark the connection-level failures of their driver with
// ErrUnavailable; every edge answers those "retry later" (REST 503 with
// Retry-After, socket and command replies "unavailable"), and keeps 500 /
// "internal" for bugs.
package outage

import "errors"

// ErrUnavailable matches (errors.Is) every error marked by Mark: a
// dependency could not be reached or used for now (refused, reset, timed
// out, shutting down or starting up, pool exhausted). Retrying later may
// succeed; nothing is wrong with the request.
var ErrUnavailable = errors.New("dependency unavailable")

// Error is a dependency failure marked by Mark. It matches both
// ErrUnavailable and its cause (errors.Is, errors.As), and its text is the
// cause's, so marking changes no message and no existing check.
type Error struct {
	// Dependency names what failed: "postgres", "redis".
	Dependency string
	Err        error
}

func (e *Error) Error() string { return e.Err.Error() }

// Unwrap returns ErrUnavailable and the cause.
func (e *Error) Unwrap() []error { return []error{ErrUnavailable, e.Err} }

// Mark wraps err, the failure of dependency, in an *Error. A nil err and one
// already marked are returned as they are.
func Mark(dependency string, err error) error {
	if err == nil || errors.Is(err, ErrUnavailable) {
		return err
	}
	return &Error{Dependency: dependency, Err: err}
}

// Dependency returns the name of the dependency err was marked for, or ""
// when it is not marked.
func Dependency(err error) string {
	if e := (*Error)(nil); errors.As(err, &e) {
		return e.Dependency
	}
	return ""
}
