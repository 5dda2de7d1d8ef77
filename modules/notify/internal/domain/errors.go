package domain

import "errors"

// Sentinel errors of the module's rules. Adapters and use cases wrap them;
// the edges (task handlers, HTTP) map them with errors.Is.
var (
	// ErrInvalid marks input that can never become valid by retrying: a
	// malformed task payload or subscription.
	ErrInvalid = errors.New("invalid")
	// ErrNotFound: no such subscription for this user.
	ErrNotFound = errors.New("not found")
	// ErrPermanent: the recipient's server refused the delivery for good
	// (SMTP 5xx); retrying would only repeat the refusal.
	ErrPermanent = errors.New("permanent delivery failure")
	// ErrUnavailable: the delivery channel is known to be down (circuit
	// open); the work should wait and come back without counting a failure.
	ErrUnavailable = errors.New("delivery channel unavailable")
	// ErrBusy: another worker holds a fresh claim on the same e-mail.
	ErrBusy = errors.New("being sent by another worker")
	// ErrGone: the push service says the subscription no longer exists.
	ErrGone = errors.New("subscription gone")
)

// InvalidField is a validation failure of one input field; it wraps
// ErrInvalid so edges can answer 422 with the field named.
type InvalidField struct {
	Field, Message string
}

func (e *InvalidField) Error() string { return e.Field + ": " + e.Message }
func (e *InvalidField) Unwrap() error { return ErrInvalid }

func invalid(field, msg string) error { return &InvalidField{Field: field, Message: msg} }
