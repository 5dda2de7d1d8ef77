package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/chatforge/chat/modules/attachments"
	"github.com/chatforge/chat/modules/calls"
	"github.com/chatforge/chat/modules/messaging"
	"github.com/chatforge/chat/platform/config"
	"github.com/chatforge/chat/platform/tracing"
)

// devKeyFile is where a development signing key is created when
// JWT_PRIVATE_KEY_FILE is unset outside production. It lies in the
// git-ignored .dev folder so every local instance signs with the same key.
const devKeyFile = ".dev/jwt.pem"

// Config is the api's configuration, read from the environment. Every
// variable is documented in .env.example.
type Config struct {
	config.Postgres `envPrefix:""`
	config.Redis    `envPrefix:""`
	// Runtime holds APP_ENV, LOG_LEVEL and PPROF_ADDR.
	config.Runtime `envPrefix:""`
	// Tracing is the standard OTEL_* block (platform/tracing); off by default.
	Tracing tracing.Config `envPrefix:""`

	Addr          string `env:"API_ADDR" envDefault:":8080"`
	PublicBaseURL string `env:"PUBLIC_BASE_URL" envDefault:"http://localhost:8080"`

	// JWTPrivateKeyFile is required in production. Elsewhere, when empty, a
	// development key is created once at devKeyFile.
	JWTPrivateKeyFile string        `env:"JWT_PRIVATE_KEY_FILE"`
	JWTIssuer         string        `env:"JWT_ISSUER" envDefault:"chatforge"`
	JWTAudience       string        `env:"JWT_AUDIENCE" envDefault:"chatforge"`
	AccessTokenTTL    time.Duration `env:"ACCESS_TOKEN_TTL" envDefault:"15m"`
	RefreshTokenTTL   time.Duration `env:"REFRESH_TOKEN_TTL" envDefault:"720h"`

	CORSAllowedOrigins []string `env:"CORS_ALLOWED_ORIGINS" envDefault:"http://localhost:8083,http://127.0.0.1:8083" envSeparator:","`
	// TrustedProxies lists the load balancers (IPs or CIDRs) whose
	// X-Forwarded-For names the client; empty trusts none, so the client IP
	// (per-IP rate limits, session records) is the peer address.
	TrustedProxies      []string      `env:"TRUSTED_PROXIES" envSeparator:","`
	HTTPBodyLimit       int64         `env:"HTTP_BODY_LIMIT" envDefault:"1048576"`
	HTTPShutdownTimeout time.Duration `env:"HTTP_SHUTDOWN_TIMEOUT" envDefault:"15s"`
	// HTTPReadTimeout bounds reading a whole request (headers and body);
	// HTTPWriteTimeout the time from its headers to the end of the response.
	// The api serves no WebSocket or long poll (the gateway does), so every
	// request can be bounded; keep the write timeout above
	// DB_STATEMENT_TIMEOUT so a slow query's error still reaches the client.
	HTTPReadTimeout  time.Duration `env:"HTTP_READ_TIMEOUT" envDefault:"15s"`
	HTTPWriteTimeout time.Duration `env:"HTTP_WRITE_TIMEOUT" envDefault:"30s"`

	// Rate limits, in requests per minute; the burst equals the rate.
	RateLimitAuthIP      int `env:"RATE_LIMIT_AUTH_IP" envDefault:"20"`
	RateLimitAuthAccount int `env:"RATE_LIMIT_AUTH_ACCOUNT" envDefault:"5"`
	RateLimitUser        int `env:"RATE_LIMIT_USER" envDefault:"600"`
	// RateLimitBot replaces RATE_LIMIT_USER for bots (Authorization: Bot),
	// counted per bot: programs get a budget of their own.
	RateLimitBot int `env:"RATE_LIMIT_BOT" envDefault:"300"`
	// Logins are limited by their failures only: per (account, client
	// address) per minute, and per account per hour (the latter only
	// refuses addresses that failed for the account; see README).
	RateLimitLoginFailures        int `env:"RATE_LIMIT_LOGIN_FAILURES" envDefault:"5"`
	RateLimitLoginAccountFailures int `env:"RATE_LIMIT_LOGIN_ACCOUNT_FAILURES" envDefault:"30"`
	// RevocationReseedInterval: how often the revocations of the last
	// access-token lifetime are copied from PostgreSQL back into Redis (and
	// at start-up), so a Redis that lost its data admits no revoked session
	// for longer than this.
	RevocationReseedInterval time.Duration `env:"REVOCATION_RESEED_INTERVAL" envDefault:"30s"`
	// RateLimitSyncInterval: the per-user limit is counted in memory and
	// reconciled with Redis this often (auth limits stay exact). Each
	// instance may over-admit a user by up to its burst plus this
	// interval's share before it learns the others' counts.
	RateLimitSyncInterval time.Duration `env:"RATE_LIMIT_SYNC_INTERVAL" envDefault:"100ms"`
	// AuthTokenCacheSize: verified access tokens remembered (per
	// generation; at most twice as many entries), so a token seen again
	// skips the RSA check; 0 disables.
	AuthTokenCacheSize int `env:"AUTH_TOKEN_CACHE_SIZE" envDefault:"100000"`

	// Argon2id cost of password hashes.
	PasswordHashMemoryKiB   uint32 `env:"PASSWORD_HASH_MEMORY_KIB" envDefault:"65536"`
	PasswordHashIterations  uint32 `env:"PASSWORD_HASH_ITERATIONS" envDefault:"3"`
	PasswordHashParallelism uint8  `env:"PASSWORD_HASH_PARALLELISM" envDefault:"2"`

	// Messaging holds MESSAGE_MAX_LENGTH, EVENT_STREAM_* and OUTBOX_*; a
	// named field so its Validate does not shadow Config's.
	Messaging messaging.Config `envPrefix:""`
	// Attachments holds STORAGE_*, S3_* and ATTACHMENT_*.
	Attachments attachments.Config `envPrefix:""`
	// Calls holds CALL_*, STUN_URLS, TURN_URLS, TURN_SECRET and
	// TURN_CREDENTIAL_TTL.
	Calls calls.Config `envPrefix:""`

	// The gateways' command stream (socket send-message, join-room,
	// mark-read): join-room and mark-read commands handled at once, and
	// when a crashed instance's pending commands are taken over.
	CommandWorkers int `env:"COMMAND_WORKERS" envDefault:"8"`
	// CommandSendSlots: batches of socket sends stored at once, on disjoint
	// rooms; CommandMaxInFlight: commands read and not yet answered before
	// this instance stops reading (0: 100 x (slots + 1) + workers), so one
	// busy api leaves the rest to the others.
	CommandSendSlots     int           `env:"COMMAND_SEND_SLOTS" envDefault:"2"`
	CommandMaxInFlight   int           `env:"COMMAND_MAX_IN_FLIGHT" envDefault:"0"`
	CommandClaimMinIdle  time.Duration `env:"COMMAND_CLAIM_MIN_IDLE" envDefault:"15s"`
	CommandClaimInterval time.Duration `env:"COMMAND_CLAIM_INTERVAL" envDefault:"5s"`
	// CommandMaxAge: a socket send-message must commit before its command
	// is this old, else it is dropped unrun; the gateways' COMMAND_TIMEOUT
	// (no higher), so the "unavailable" a client got means "not stored".
	CommandMaxAge time.Duration `env:"COMMAND_MAX_AGE" envDefault:"10s"`
	// CommandShedAfter, CommandMaxRelayLag: past what the api can carry, a
	// socket send-message that waited longer than CommandShedAfter in the
	// command stream, or any while the oldest unpublished event is older
	// than CommandMaxRelayLag, is answered "unavailable" with a retry hint,
	// not stored, so the latency of what is accepted stays bounded. The
	// gateways hold each socket to one command in flight and refuse what
	// waits past WS_QUEUE_MAX_WAIT, so the stream's wait is the fleet's
	// backlog: 500ms keeps an accepted send well within issue 18's 1 s.
	CommandShedAfter   time.Duration `env:"COMMAND_SHED_AFTER" envDefault:"500ms"`
	CommandMaxRelayLag time.Duration `env:"COMMAND_MAX_RELAY_LAG" envDefault:"5s"`

	// VAPIDPublicKey is handed to browsers subscribing to Web Push; when
	// empty it is read from VAPIDKeyFile (created outside production), the
	// file the worker signs with.
	VAPIDPublicKey string `env:"VAPID_PUBLIC_KEY"`
	VAPIDKeyFile   string `env:"VAPID_KEY_FILE" envDefault:".dev/vapid.json"`
	// AllowPrivateWebhooks admits push endpoints (and, later, webhook URLs)
	// on loopback, private and other internal addresses: development and
	// tests with a local push service only.
	AllowPrivateWebhooks bool `env:"ALLOW_PRIVATE_WEBHOOKS" envDefault:"false"`
}

// production reports whether the api runs with APP_ENV=production.
func (c Config) production() bool { return c.Env.IsProduction() }

// keyFile returns the signing key's path: the configured one, or the
// development default.
func (c Config) keyFile() string {
	if c.JWTPrivateKeyFile != "" {
		return c.JWTPrivateKeyFile
	}
	return devKeyFile
}

// Validate reports every problem of the configuration at once, each as
// "VARIABLE: what is wrong". config.Parse validates the embedded Postgres,
// Redis and Runtime blocks (APP_ENV, LOG_LEVEL) itself.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if err := config.CheckAddr("API_ADDR", c.Addr); err != nil {
		errs = append(errs, err)
	}
	if c.CommandShedAfter <= 0 || c.CommandShedAfter >= c.CommandMaxAge {
		bad("COMMAND_SHED_AFTER: must be positive and below COMMAND_MAX_AGE (%s) (got %s)", c.CommandMaxAge, c.CommandShedAfter)
	}
	if err := checkBaseURL(c.PublicBaseURL, c.production()); err != nil {
		bad("PUBLIC_BASE_URL: %v (got %q)", err, c.PublicBaseURL)
	}
	if c.production() && c.JWTPrivateKeyFile == "" {
		bad("JWT_PRIVATE_KEY_FILE: required when APP_ENV=production (path of a PEM RSA private key)")
	}
	if c.JWTIssuer == "" {
		bad("JWT_ISSUER: must not be empty")
	}
	if c.JWTAudience == "" {
		bad("JWT_AUDIENCE: must not be empty")
	}
	if c.AccessTokenTTL <= 0 {
		bad("ACCESS_TOKEN_TTL: must be positive (got %s)", c.AccessTokenTTL)
	}
	if c.RefreshTokenTTL <= c.AccessTokenTTL {
		bad("REFRESH_TOKEN_TTL: must be longer than ACCESS_TOKEN_TTL (%s; got %s)", c.AccessTokenTTL, c.RefreshTokenTTL)
	}
	for _, o := range c.CORSAllowedOrigins {
		if err := checkOrigin(o); err != nil {
			bad("CORS_ALLOWED_ORIGINS: entry %q: %v", o, err)
		}
	}
	for _, p := range c.TrustedProxies {
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				bad("TRUSTED_PROXIES: entry %q is neither an IP address nor a CIDR range", p)
			}
		}
	}
	if c.HTTPBodyLimit <= 0 {
		bad("HTTP_BODY_LIMIT: must be a positive number of bytes (got %d)", c.HTTPBodyLimit)
	}
	if c.HTTPShutdownTimeout <= 0 {
		bad("HTTP_SHUTDOWN_TIMEOUT: must be positive (got %s)", c.HTTPShutdownTimeout)
	}
	if c.HTTPReadTimeout <= 0 {
		bad("HTTP_READ_TIMEOUT: must be positive (got %s)", c.HTTPReadTimeout)
	}
	if c.HTTPWriteTimeout <= 0 {
		bad("HTTP_WRITE_TIMEOUT: must be positive (got %s)", c.HTTPWriteTimeout)
	}
	for _, l := range []struct {
		name string
		v    int
	}{
		{"RATE_LIMIT_AUTH_IP", c.RateLimitAuthIP},
		{"RATE_LIMIT_AUTH_ACCOUNT", c.RateLimitAuthAccount},
		{"RATE_LIMIT_USER", c.RateLimitUser},
		{"RATE_LIMIT_BOT", c.RateLimitBot},
		{"RATE_LIMIT_LOGIN_FAILURES", c.RateLimitLoginFailures},
		{"RATE_LIMIT_LOGIN_ACCOUNT_FAILURES", c.RateLimitLoginAccountFailures},
	} {
		if l.v <= 0 {
			bad("%s: must be a positive number (got %d)", l.name, l.v)
		}
	}
	if c.RevocationReseedInterval < time.Second || c.RevocationReseedInterval > time.Hour {
		bad("REVOCATION_RESEED_INTERVAL: must be between 1s and 1h (got %s)", c.RevocationReseedInterval)
	}
	if c.RateLimitSyncInterval < time.Millisecond || c.RateLimitSyncInterval > 10*time.Second {
		bad("RATE_LIMIT_SYNC_INTERVAL: must be between 1ms and 10s (got %s)", c.RateLimitSyncInterval)
	}
	if c.CommandWorkers < 1 || c.CommandSendSlots < 1 || c.CommandSendSlots > 64 || c.CommandMaxInFlight < 0 {
		bad("COMMAND_WORKERS >= 1, COMMAND_SEND_SLOTS 1..64 and COMMAND_MAX_IN_FLIGHT >= 0 (got %d, %d, %d)",
			c.CommandWorkers, c.CommandSendSlots, c.CommandMaxInFlight)
	}
	if c.AuthTokenCacheSize < 0 {
		bad("AUTH_TOKEN_CACHE_SIZE: must not be negative (got %d)", c.AuthTokenCacheSize)
	}
	if c.PasswordHashIterations < 1 {
		bad("PASSWORD_HASH_ITERATIONS: must be at least 1")
	}
	if c.PasswordHashParallelism < 1 {
		bad("PASSWORD_HASH_PARALLELISM: must be at least 1")
	}
	// Argon2 needs at least 8 KiB per lane.
	if c.PasswordHashMemoryKiB < 8*uint32(max(c.PasswordHashParallelism, 1)) {
		bad("PASSWORD_HASH_MEMORY_KIB: must be at least 8 x PASSWORD_HASH_PARALLELISM (got %d)", c.PasswordHashMemoryKiB)
	}
	if c.production() && c.PasswordHashMemoryKiB < 19456 {
		// OWASP's floor for argon2id; lower costs are for tests only.
		bad("PASSWORD_HASH_MEMORY_KIB: production needs at least 19456 (19 MiB; got %d)", c.PasswordHashMemoryKiB)
	}
	if err := c.Attachments.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Calls.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// checkBaseURL accepts an absolute http(s) URL. In production it must be
// https unless it points at the local machine.
func checkBaseURL(raw string, production bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return errors.New("want an absolute http(s) URL, e.g. https://chat.example.com")
	}
	if production && u.Scheme != "https" && !loopback(u.Hostname()) {
		return errors.New("must use https in production")
	}
	return nil
}

// checkOrigin accepts "*" or a bare origin (scheme://host[:port]).
func checkOrigin(o string) error {
	if o == "*" {
		return nil
	}
	u, err := url.Parse(o)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return errors.New(`want "*" or scheme://host[:port], e.g. https://app.example.com`)
	}
	return nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
