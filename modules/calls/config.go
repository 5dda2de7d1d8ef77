package calls

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Config tunes the module. Tags are for platform/config (caarlos0/env);
// apps embed it with envPrefix:"".
type Config struct {
	// RingTimeout: a call nobody answered within this ends as missed.
	RingTimeout time.Duration `env:"CALL_RING_TIMEOUT" envDefault:"30s"`
	// SweepInterval is how often each api looks for calls whose ring timed
	// out (so a missed call ends at most this late).
	SweepInterval time.Duration `env:"CALL_SWEEP_INTERVAL" envDefault:"1s"`
	// MaxDuration ends a connected call nobody hung up after this long: its
	// devices may have vanished (crashed, out of coverage) without a
	// hang-up, and it would keep its parties busy forever.
	MaxDuration time.Duration `env:"CALL_MAX_DURATION" envDefault:"12h"`
	// STUNURLs are handed out as is (stun: or stuns: URLs).
	STUNURLs []string `env:"STUN_URLS" envSeparator:","`
	// TURNURLs are handed out with a time-limited credential of the TURN
	// REST API scheme made with TURNSecret (the TURN server's
	// static-auth-secret); TURNCredentialTTL is how long it works.
	TURNURLs          []string      `env:"TURN_URLS" envSeparator:","`
	TURNSecret        string        `env:"TURN_SECRET" secret:"true"`
	TURNCredentialTTL time.Duration `env:"TURN_CREDENTIAL_TTL" envDefault:"12h"`
}

// Validate reports every out-of-range setting.
func (c Config) Validate() error {
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	check(c.RingTimeout >= time.Second && c.RingTimeout <= 10*time.Minute, "CALL_RING_TIMEOUT must be 1s..10m, got %s", c.RingTimeout)
	check(c.SweepInterval >= 50*time.Millisecond && c.SweepInterval <= time.Minute, "CALL_SWEEP_INTERVAL must be 50ms..1m, got %s", c.SweepInterval)
	check(c.MaxDuration >= time.Minute, "CALL_MAX_DURATION must be at least 1m, got %s", c.MaxDuration)
	check(c.TURNCredentialTTL >= time.Minute && c.TURNCredentialTTL <= 7*24*time.Hour, "TURN_CREDENTIAL_TTL must be 1m..168h, got %s", c.TURNCredentialTTL)
	for _, u := range c.STUNURLs {
		check(strings.HasPrefix(u, "stun:") || strings.HasPrefix(u, "stuns:"), "STUN_URLS: %q is not a stun: or stuns: URL", u)
	}
	for _, u := range c.TURNURLs {
		check(strings.HasPrefix(u, "turn:") || strings.HasPrefix(u, "turns:"), "TURN_URLS: %q is not a turn: or turns: URL", u)
	}
	check(len(c.TURNURLs) == 0 || len(c.TURNSecret) >= 16, "TURN_SECRET: required with TURN_URLS, at least 16 characters")
	check(c.TURNSecret == "" || len(c.TURNURLs) > 0, "TURN_SECRET is set but TURN_URLS is empty")
	return errors.Join(errs...)
}
