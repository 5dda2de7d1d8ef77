package identity

import (
	"github.com/chatforge/chat/modules/identity/internal/domain"
	"github.com/chatforge/chat/platform/outage"
)

// Sentinel errors of the module. They are the very values the use cases
// return, so errors.Is works on errors crossing the module boundary.
var (
	ErrInvalidInput        = domain.ErrInvalidInput
	ErrEmailTaken          = domain.ErrEmailTaken
	ErrInvalidCredentials  = domain.ErrInvalidCredentials
	ErrWrongPassword       = domain.ErrWrongPassword
	ErrInvalidToken        = domain.ErrInvalidToken
	ErrInvalidRefreshToken = domain.ErrInvalidRefreshToken
	ErrRefreshReused       = domain.ErrRefreshReused
	ErrSessionNotFound     = domain.ErrSessionNotFound
	ErrUserNotFound        = domain.ErrUserNotFound
	// ErrUnavailable: PostgreSQL or Redis could not be reached; retry
	// later (503). The adapters' errors carry it as marked by the platform
	// (platform/database, platform/redisconn).
	ErrUnavailable = outage.ErrUnavailable
)

// InvalidError names the input field that broke a rule; it matches
// ErrInvalidInput under errors.Is.
type InvalidError = domain.InvalidError
