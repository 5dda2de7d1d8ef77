package identity

import (
	"errors"
	"fmt"
	"time"

	"github.com/chatforge/chat/modules/identity/internal/domain"
	"github.com/chatforge/chat/platform/ratelimit"
)

// HashParams are the argon2id costs for new password hashes. Existing
// hashes keep verifying under the costs they were made with.
type HashParams struct {
	Memory      uint32 // KiB
	Iterations  uint32
	Parallelism uint8
}

// Config tunes the module. Zero fields take the values of DefaultConfig,
// except PublicBaseURL, which is required.
type Config struct {
	RefreshTTL time.Duration // session lifetime (default 30 days)
	VerifyTTL  time.Duration // e-mail verification link (default 24 h)
	ResetTTL   time.Duration // password reset link (default 1 h); used by the worker (NewWorker)
	Hash       HashParams

	// AuthLimitPerIP applies to every /api/auth/* request of one client IP;
	// AuthLimitPerAccount to login, register and password/forgot per
	// (normalized) e-mail, whatever the IP, against distributed guessing.
	AuthLimitPerIP      ratelimit.Limit
	AuthLimitPerAccount ratelimit.Limit
	// Logins are not counted by AuthLimitPerAccount but by their failures
	// (ratelimit.Failures): LoginFailuresPerAddress per (e-mail, client
	// IP), LoginFailuresPerAccount per e-mail, applied only to IPs that
	// failed for it, so nobody can lock the owner out.
	LoginFailuresPerAddress ratelimit.Limit
	LoginFailuresPerAccount ratelimit.Limit

	// PublicBaseURL is where users open the links of e-mails, e.g.
	// "https://chat.example.com" (PUBLIC_BASE_URL).
	PublicBaseURL string
}

// DefaultConfig returns production defaults (PublicBaseURL left empty).
//
// Hash: argon2id with 64 MiB, 3 passes, 2 lanes is RFC 9106's second
// recommended setting with the lanes matched to a small instance's cores;
// it is well above OWASP's floor (19 MiB, t=2, p=1) and costs tens of
// milliseconds per login, which legitimate users do not notice and which an
// offline attacker pays on every guess. Tests use m=1024 t=1 p=1.
//
// Limits: 60 auth requests a minute per IP (with room for offices behind
// one NAT) and 10 attempts an hour, bursting to 10, per account: far above
// what a person typing needs, far below what guessing needs.
func DefaultConfig() Config {
	return Config{
		RefreshTTL:          30 * 24 * time.Hour,
		VerifyTTL:           24 * time.Hour,
		ResetTTL:            time.Hour,
		Hash:                HashParams{Memory: 64 * 1024, Iterations: 3, Parallelism: 2},
		AuthLimitPerIP:      ratelimit.Limit{Rate: 60, Period: time.Minute, Burst: 60},
		AuthLimitPerAccount: ratelimit.Limit{Rate: 10, Period: time.Hour, Burst: 10},
		// 5 failures a minute per address, 30 an hour per account.
		LoginFailuresPerAddress: ratelimit.Limit{Rate: 5, Period: time.Minute, Burst: 5},
		LoginFailuresPerAccount: ratelimit.Limit{Rate: 30, Period: time.Hour, Burst: 30},
	}
}

// withDefaults fills zero fields from DefaultConfig and checks the result.
func (c Config) withDefaults() (Config, error) {
	d := DefaultConfig()
	setDur := func(v *time.Duration, def time.Duration) {
		if *v == 0 {
			*v = def
		}
	}
	setDur(&c.RefreshTTL, d.RefreshTTL)
	setDur(&c.VerifyTTL, d.VerifyTTL)
	setDur(&c.ResetTTL, d.ResetTTL)
	if c.Hash == (HashParams{}) {
		c.Hash = d.Hash
	}
	if c.AuthLimitPerIP == (ratelimit.Limit{}) {
		c.AuthLimitPerIP = d.AuthLimitPerIP
	}
	if c.AuthLimitPerAccount == (ratelimit.Limit{}) {
		c.AuthLimitPerAccount = d.AuthLimitPerAccount
	}
	if c.LoginFailuresPerAddress == (ratelimit.Limit{}) {
		c.LoginFailuresPerAddress = d.LoginFailuresPerAddress
	}
	if c.LoginFailuresPerAccount == (ratelimit.Limit{}) {
		c.LoginFailuresPerAccount = d.LoginFailuresPerAccount
	}
	var errs []error
	if c.RefreshTTL < 0 || c.VerifyTTL < 0 || c.ResetTTL < 0 {
		errs = append(errs, errors.New("TTLs must be positive"))
	}
	if err := c.AuthLimitPerIP.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("AuthLimitPerIP: %w", err))
	}
	if err := c.AuthLimitPerAccount.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("AuthLimitPerAccount: %w", err))
	}
	if err := c.LoginFailuresPerAddress.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("LoginFailuresPerAddress: %w", err))
	}
	if err := c.LoginFailuresPerAccount.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("LoginFailuresPerAccount: %w", err))
	}
	if c.PublicBaseURL == "" {
		errs = append(errs, errors.New("PublicBaseURL is required"))
	}
	return c, errors.Join(errs...)
}

func (h HashParams) domain() domain.HashParams {
	return domain.HashParams{Memory: h.Memory, Iterations: h.Iterations, Parallelism: h.Parallelism}
}
