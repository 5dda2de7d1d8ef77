package main

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/chatforge/chat/modules/attachments"
	"github.com/chatforge/chat/modules/moderation"
	"github.com/chatforge/chat/platform/config"
	"github.com/chatforge/chat/platform/tracing"
)

// devVAPIDFile is where a development VAPID key pair is created when the
// keys are unset outside production (git-ignored, like .dev/jwt.pem).
const devVAPIDFile = ".dev/vapid.json"

// Config is the worker's configuration, read from the environment. Every
// variable is documented in .env.example.
type Config struct {
	config.Postgres `envPrefix:""`
	config.Redis    `envPrefix:""`
	// Runtime holds APP_ENV, LOG_LEVEL and PPROF_ADDR.
	config.Runtime `envPrefix:""`
	// Tracing is the standard OTEL_* block (platform/tracing); off by default.
	Tracing tracing.Config `envPrefix:""`

	Addr string `env:"WORKER_ADDR" envDefault:":8082"`
	// ID names this instance in the push consumer group and the logs;
	// default hostname-pid.
	ID string `env:"WORKER_ID"`

	Concurrency     int           `env:"WORKER_CONCURRENCY" envDefault:"10"`
	ShutdownTimeout time.Duration `env:"WORKER_SHUTDOWN_TIMEOUT" envDefault:"20s"`

	PublicBaseURL string `env:"PUBLIC_BASE_URL" envDefault:"http://localhost:8080"`

	SMTPAddr            string        `env:"SMTP_ADDR" envDefault:"localhost:1025"`
	SMTPUsername        string        `env:"SMTP_USERNAME"`
	SMTPPassword        string        `env:"SMTP_PASSWORD" secret:"true"`
	SMTPFrom            string        `env:"SMTP_FROM" envDefault:"Chatforge <no-reply@chatforge.localhost>"`
	SMTPTLS             string        `env:"SMTP_TLS" envDefault:"none"`
	SMTPTimeout         time.Duration `env:"SMTP_TIMEOUT" envDefault:"15s"`
	SMTPBreakerFailures uint32        `env:"SMTP_BREAKER_FAILURES" envDefault:"5"`
	SMTPBreakerOpenFor  time.Duration `env:"SMTP_BREAKER_OPEN_FOR" envDefault:"30s"`
	EmailRetryBase      time.Duration `env:"EMAIL_RETRY_BASE" envDefault:"5s"`
	EmailRetryMax       time.Duration `env:"EMAIL_RETRY_MAX" envDefault:"1h"`

	VAPIDPublicKey  string `env:"VAPID_PUBLIC_KEY"`
	VAPIDPrivateKey string `env:"VAPID_PRIVATE_KEY" secret:"true"`
	VAPIDSubject    string `env:"VAPID_SUBJECT" envDefault:"mailto:ops@chatforge.localhost"`
	// VAPIDKeyFile is read (and created outside production) when the keys
	// are not given inline.
	VAPIDKeyFile       string        `env:"VAPID_KEY_FILE"`
	PushRatePerMinute  int           `env:"PUSH_RATE_PER_MINUTE" envDefault:"10"`
	PushCollapseWindow time.Duration `env:"PUSH_COLLAPSE_WINDOW" envDefault:"5s"`
	PushTTL            time.Duration `env:"PUSH_TTL" envDefault:"6h"`
	StreamPartitions   int           `env:"EVENT_STREAM_PARTITIONS" envDefault:"4"`
	// AllowPrivateWebhooks lets pushes (and, later, webhooks) reach
	// loopback, private and other internal addresses: development and tests
	// with a local push service only.
	AllowPrivateWebhooks bool `env:"ALLOW_PRIVATE_WEBHOOKS" envDefault:"false"`

	// Outgoing webhooks: back-off of a delivery's retries (base, doubling,
	// up to max), attempts per delivery, consecutive failed attempts that
	// disable a hook, and the time limit of one attempt.
	WebhookRetryBase    time.Duration `env:"WEBHOOK_RETRY_BASE" envDefault:"10s"`
	WebhookRetryMax     time.Duration `env:"WEBHOOK_RETRY_MAX" envDefault:"1h"`
	WebhookMaxAttempts  int           `env:"WEBHOOK_MAX_ATTEMPTS" envDefault:"8"`
	WebhookDisableAfter int           `env:"WEBHOOK_DISABLE_AFTER" envDefault:"20"`
	WebhookTimeout      time.Duration `env:"WEBHOOK_TIMEOUT" envDefault:"10s"`

	// Moderation holds MODERATION_*: automatic moderation of new messages.
	Moderation moderation.Config `envPrefix:""`

	HousekeepingInterval time.Duration `env:"HOUSEKEEPING_INTERVAL" envDefault:"15m"`
	StreamRetention      time.Duration `env:"STREAM_RETENTION" envDefault:"72h"`
	EmailLedgerRetention time.Duration `env:"EMAIL_LEDGER_RETENTION" envDefault:"720h"`
	// Attachments holds STORAGE_*, S3_* and ATTACHMENT_ORPHAN_GRACE (the
	// worker deletes uploads never attached); same values as the api's.
	Attachments attachments.Config `envPrefix:""`

	// The asynqmon dashboard is mounted at /monitoring only when both are
	// set, behind HTTP basic auth.
	AdminUser     string `env:"WORKER_ADMIN_USER"`
	AdminPassword string `env:"WORKER_ADMIN_PASSWORD" secret:"true"`
}

// MinHousekeepingInterval is the shortest HOUSEKEEPING_INTERVAL outside
// production: the jobs' uniqueness lock (9/10 of the interval) must last
// at least the 1s asynq allows.
const MinHousekeepingInterval = 2 * time.Second

func (c Config) production() bool { return c.Env.IsProduction() }

func (c Config) vapidFile() string {
	if c.VAPIDKeyFile != "" {
		return c.VAPIDKeyFile
	}
	return devVAPIDFile
}

// Validate reports every problem at once, each naming its variable.
// config.Parse validates the embedded Postgres, Redis and Runtime blocks
// itself.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if err := config.CheckAddr("WORKER_ADDR", c.Addr); err != nil {
		errs = append(errs, err)
	}
	if c.Concurrency < 1 || c.Concurrency > 1000 {
		bad("WORKER_CONCURRENCY %d: want 1..1000", c.Concurrency)
	}
	if c.ShutdownTimeout <= 0 {
		bad("WORKER_SHUTDOWN_TIMEOUT %s: must be positive", c.ShutdownTimeout)
	}
	if u, err := url.Parse(c.PublicBaseURL); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		bad("PUBLIC_BASE_URL %q: want an absolute http(s) URL", c.PublicBaseURL)
	} else if c.production() && u.Scheme != "https" {
		bad("PUBLIC_BASE_URL: must use https in production")
	}
	if _, port, err := net.SplitHostPort(c.SMTPAddr); err != nil || port == "" {
		bad("SMTP_ADDR %q: want host:port, e.g. smtp.example.com:587", c.SMTPAddr)
	}
	if a, err := mail.ParseAddress(c.SMTPFrom); err != nil || !strings.Contains(a.Address, "@") {
		bad("SMTP_FROM %q: want an address, e.g. \"Chatforge <no-reply@example.com>\"", c.SMTPFrom)
	}
	switch c.SMTPTLS {
	case "none", "starttls", "tls":
		if c.production() && c.SMTPTLS == "none" && c.SMTPUsername != "" {
			bad("SMTP_TLS=none with SMTP_USERNAME in production would send the password in clear; use starttls or tls")
		}
	default:
		bad("SMTP_TLS %q: want none, starttls or tls", c.SMTPTLS)
	}
	if c.SMTPTimeout <= 0 || c.SMTPBreakerOpenFor <= 0 || c.SMTPBreakerFailures < 1 {
		bad("SMTP_TIMEOUT, SMTP_BREAKER_OPEN_FOR must be positive and SMTP_BREAKER_FAILURES at least 1")
	}
	if c.EmailRetryBase <= 0 || c.EmailRetryMax < c.EmailRetryBase {
		bad("EMAIL_RETRY_BASE must be positive and EMAIL_RETRY_MAX at least EMAIL_RETRY_BASE")
	}
	if (c.VAPIDPublicKey == "") != (c.VAPIDPrivateKey == "") {
		bad("VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY go together")
	}
	if c.production() && c.VAPIDPrivateKey == "" && c.VAPIDKeyFile == "" {
		bad("VAPID_PUBLIC_KEY/VAPID_PRIVATE_KEY (or VAPID_KEY_FILE) are required in production")
	}
	if !strings.HasPrefix(c.VAPIDSubject, "mailto:") && !strings.HasPrefix(c.VAPIDSubject, "https://") {
		bad("VAPID_SUBJECT %q: want mailto:you@example.com or an https:// URL", c.VAPIDSubject)
	}
	if c.PushRatePerMinute < 1 || c.PushCollapseWindow < time.Second || c.PushTTL < time.Minute {
		bad("PUSH_RATE_PER_MINUTE must be >= 1, PUSH_COLLAPSE_WINDOW >= 1s and PUSH_TTL >= 1m")
	}
	if c.StreamPartitions < 1 || c.StreamPartitions > 1024 {
		bad("EVENT_STREAM_PARTITIONS %d: want 1..1024 (the same as the api's)", c.StreamPartitions)
	}
	if c.WebhookRetryBase <= 0 || c.WebhookRetryMax < c.WebhookRetryBase || c.WebhookTimeout <= 0 {
		bad("WEBHOOK_RETRY_BASE and WEBHOOK_TIMEOUT must be positive and WEBHOOK_RETRY_MAX at least WEBHOOK_RETRY_BASE")
	}
	if c.WebhookMaxAttempts < 1 || c.WebhookMaxAttempts > 100 || c.WebhookDisableAfter < 1 {
		bad("WEBHOOK_MAX_ATTEMPTS must be 1..100 and WEBHOOK_DISABLE_AFTER at least 1")
	}
	if err := c.Moderation.Validate(); err != nil {
		errs = append(errs, err)
	}
	// Seconds let tests watch a sweep happen; service runs keep minutes.
	if c.production() && c.HousekeepingInterval < time.Minute {
		bad("HOUSEKEEPING_INTERVAL %s: want at least 1m in production", c.HousekeepingInterval)
	} else if c.HousekeepingInterval < MinHousekeepingInterval {
		bad("HOUSEKEEPING_INTERVAL %s: want at least %s", c.HousekeepingInterval, MinHousekeepingInterval)
	}
	if c.StreamRetention < time.Hour || c.EmailLedgerRetention < 24*time.Hour {
		bad("STREAM_RETENTION >= 1h and EMAIL_LEDGER_RETENTION >= 24h")
	}
	if err := c.Attachments.Validate(); err != nil {
		errs = append(errs, err)
	}
	if (c.AdminUser == "") != (c.AdminPassword == "") {
		bad("WORKER_ADMIN_USER and WORKER_ADMIN_PASSWORD go together")
	}
	if c.AdminPassword != "" && len(c.AdminPassword) < 12 {
		bad("WORKER_ADMIN_PASSWORD: use at least 12 characters")
	}
	return errors.Join(errs...)
}
