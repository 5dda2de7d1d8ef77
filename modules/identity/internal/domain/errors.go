package domain

import "errors"

// Sentinel errors of the identity module. The root package re-exports them
// (same values, so errors.Is works across the boundary); adapters translate
// driver errors into them and each edge maps them to its protocol.
var (
	// ErrInvalidInput is matched by every *InvalidError.
	ErrInvalidInput = errors.New("invalid input")
	// ErrEmailTaken: another account already uses this (normalized) e-mail.
	ErrEmailTaken = errors.New("email already registered")
	// ErrInvalidCredentials is the single answer to a wrong e-mail or a wrong
	// password, so a login attempt cannot tell which one was wrong.
	ErrInvalidCredentials = errors.New("invalid email or password")
	// ErrWrongPassword: the current password given to change it is wrong.
	ErrWrongPassword = errors.New("current password is incorrect")
	// ErrInvalidToken: an e-mail token is unknown, used, expired or of the
	// wrong purpose. One error for all, so tokens cannot be probed.
	ErrInvalidToken = errors.New("invalid or expired token")
	// ErrInvalidRefreshToken: unknown refresh token, or its session expired
	// or was revoked.
	ErrInvalidRefreshToken = errors.New("invalid or expired refresh token")
	// ErrRefreshReused: a spent refresh token was presented again; the
	// session has been revoked (it was most likely stolen).
	ErrRefreshReused = errors.New("refresh token reused")
	// ErrSessionNotFound: no live session with that id belongs to the user.
	ErrSessionNotFound = errors.New("session not found")
	// ErrUserNotFound: no user with that id or e-mail.
	ErrUserNotFound = errors.New("user not found")
)

// InvalidError says which input field broke which rule. Field is the name of
// the input as clients spell it (for example "email", "newPassword").
type InvalidError struct {
	Field  string
	Reason string
}

// Error implements error.
func (e *InvalidError) Error() string { return e.Field + " " + e.Reason }

// Is makes errors.Is(err, ErrInvalidInput) true for every InvalidError.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalidInput }

func invalid(field, reason string) error { return &InvalidError{Field: field, Reason: reason} }

// RenameField returns err with its field renamed when it is an *InvalidError
// (for example a password rule applied to "newPassword"); other errors pass
// through unchanged.
func RenameField(err error, field string) error {
	var ie *InvalidError
	if errors.As(err, &ie) {
		return &InvalidError{Field: field, Reason: ie.Reason}
	}
	return err
}
