package notify

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Config tunes the module. The api process sets only PublicBaseURL and
// Push.VAPIDPublicKey (for the REST endpoints); the worker sets the rest.
type Config struct {
	// PublicBaseURL is where e-mail links point (PUBLIC_BASE_URL); every
	// link in an e-mail task must lie under it.
	PublicBaseURL string
	// Email is nil in processes that send no e-mail.
	Email *EmailConfig
	Push  PushConfig
}

// EmailConfig is the SMTP relay, the sender and the delivery policy.
type EmailConfig struct {
	Addr     string // host:port (SMTP_ADDR)
	Username string // SMTP_USERNAME; empty: no AUTH
	Password string // SMTP_PASSWORD
	From     string // SMTP_FROM, e.g. "Chatforge <no-reply@example.com>"
	TLS      string // SMTP_TLS: none, starttls or tls
	Product  string // name shown in the bodies (default "Chatforge")
	Timeout  time.Duration

	// The breaker opens after BreakerFailures consecutive transient
	// failures of this process and probes again after BreakerOpenFor.
	BreakerFailures uint32
	BreakerOpenFor  time.Duration

	// Retries wait RetryBase·2ⁿ (n = retries so far), capped at RetryMax,
	// with ±20% jitter so a queue of mails does not return in lockstep.
	RetryBase time.Duration
	RetryMax  time.Duration
}

// withDefaults fills zero fields and checks the result.
func (c Config) withDefaults() (Config, error) {
	var errs []error
	if c.PublicBaseURL != "" {
		if u, err := url.Parse(c.PublicBaseURL); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			errs = append(errs, fmt.Errorf("PublicBaseURL %q: want an absolute http(s) URL", c.PublicBaseURL))
		}
	}
	if e := c.Email; e != nil {
		cp := *e
		if cp.Product == "" {
			cp.Product = "Chatforge"
		}
		if cp.Timeout <= 0 {
			cp.Timeout = 15 * time.Second
		}
		if cp.BreakerFailures == 0 {
			cp.BreakerFailures = 5
		}
		if cp.BreakerOpenFor <= 0 {
			cp.BreakerOpenFor = 30 * time.Second
		}
		if cp.RetryBase <= 0 {
			cp.RetryBase = 5 * time.Second
		}
		if cp.RetryMax < cp.RetryBase {
			cp.RetryMax = max(time.Hour, cp.RetryBase)
		}
		if c.PublicBaseURL == "" {
			errs = append(errs, errors.New("PublicBaseURL is required to send e-mail"))
		}
		c.Email = &cp
	}
	p, err := c.Push.withDefaults()
	if err != nil {
		errs = append(errs, err)
	}
	c.Push = p
	return c, errors.Join(errs...)
}
