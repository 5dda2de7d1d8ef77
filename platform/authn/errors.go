package authn

import "errors"

// Sentinel errors returned by Verifier.Verify. Callers map both to HTTP 401
// (or socket close 4001); they differ only so a client can be told to refresh.
var (
	// ErrInvalidToken means the token is malformed, badly signed, signed by an
	// unknown key or algorithm, or carries the wrong issuer or audience.
	ErrInvalidToken = errors.New("authn: invalid token")
	// ErrExpiredToken means the token was valid but its exp has passed
	// (beyond the allowed clock leeway).
	ErrExpiredToken = errors.New("authn: token expired")
)
