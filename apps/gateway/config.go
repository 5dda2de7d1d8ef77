package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"time"

	"github.com/chatforge/chat/platform/config"
	"github.com/chatforge/chat/platform/tracing"
)

// Config is the gateway's configuration, read from the environment. Every
// variable is documented in .env.example and apps/gateway/README.md.
type Config struct {
	config.Redis `envPrefix:""`
	// Runtime holds APP_ENV, LOG_LEVEL and PPROF_ADDR.
	config.Runtime `envPrefix:""`
	// Tracing is the standard OTEL_* block (platform/tracing); off by default.
	Tracing tracing.Config `envPrefix:""`

	Addr string `env:"GATEWAY_ADDR" envDefault:":8081"`

	// Exactly one of the two: a PEM file of the api's public key(s), or
	// the api's JWKS URL (fetched once at start-up).
	JWTPublicKeyFile string `env:"JWT_PUBLIC_KEY_FILE"`
	JWKSURL          string `env:"JWKS_URL"`
	JWTIssuer        string `env:"JWT_ISSUER" envDefault:"chatforge"`
	JWTAudience      string `env:"JWT_AUDIENCE" envDefault:"chatforge"`

	MaxFrameBytes  int     `env:"WS_MAX_FRAME_BYTES" envDefault:"16384"`
	SendBuffer     int     `env:"WS_SEND_BUFFER" envDefault:"256"`
	RatePerSec     float64 `env:"WS_RATE_PER_SEC" envDefault:"20"`
	RateBurst      int     `env:"WS_RATE_BURST" envDefault:"40"`
	UserRatePerSec int     `env:"WS_USER_RATE_PER_SEC" envDefault:"30"`
	UserRateBurst  int     `env:"WS_USER_RATE_BURST" envDefault:"60"`
	// Bots (Authorization: Bot) get their own per-bot command rate.
	BotRatePerSec int `env:"WS_BOT_RATE_PER_SEC" envDefault:"10"`
	BotRateBurst  int `env:"WS_BOT_RATE_BURST" envDefault:"20"`
	BadFrameLimit int `env:"WS_BAD_FRAME_LIMIT" envDefault:"5"`
	// RateAbuseWindow: sending over twice WS_RATE_PER_SEC for about this
	// long closes the socket (4008); a client less far over only gets
	// rate_limited answers.
	RateAbuseWindow time.Duration `env:"WS_RATE_ABUSE_WINDOW" envDefault:"5s"`
	// QueueMax, QueueMaxWait: a socket's frames wait for their turn in a
	// queue of at most QueueMax; past it, or once a frame for the api has
	// waited QueueMaxWait (negative: no limit), it is refused with
	// unavailable and a retry hint instead of being handled late.
	QueueMax     int           `env:"WS_QUEUE_MAX" envDefault:"64"`
	QueueMaxWait time.Duration `env:"WS_QUEUE_MAX_WAIT" envDefault:"250ms"`
	// QueueSlowCommand: the wait refuses a frame only while the command
	// ahead of it took longer than this (a burst behind fast commands is
	// served, however long it takes).
	QueueSlowCommand time.Duration `env:"WS_QUEUE_SLOW_COMMAND" envDefault:"50ms"`
	// DirectWrites: while it keeps up, the fan-out writes a frame itself
	// when nothing is queued on the socket, instead of waking the socket's
	// writer: the first copy of a message to a very large room comes
	// earlier. Once events wait behind the one in hand, frames go to the
	// writers again, which coalesce them.
	DirectWrites bool `env:"WS_DIRECT_WRITES" envDefault:"true"`
	// MaxSocketsPerUser: open sockets per user across every gateway; 0
	// disables the limit.
	MaxSocketsPerUser int           `env:"WS_MAX_SOCKETS_PER_USER" envDefault:"50"`
	PingInterval      time.Duration `env:"PING_INTERVAL" envDefault:"25s"`
	PresenceTTL       time.Duration `env:"PRESENCE_TTL" envDefault:"60s"`
	TypingTTL         time.Duration `env:"TYPING_TTL" envDefault:"5s"`
	ReplayMax         int           `env:"REPLAY_MAX" envDefault:"1000"`
	CommandTimeout    time.Duration `env:"COMMAND_TIMEOUT" envDefault:"10s"`
	// Must equal the api's: the gateway reads every partition.
	Partitions      int           `env:"EVENT_STREAM_PARTITIONS" envDefault:"4"`
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"15s"`
	// RateLimitSyncInterval: the per-user command limit is counted in
	// memory and reconciled with Redis this often.
	RateLimitSyncInterval time.Duration `env:"RATE_LIMIT_SYNC_INTERVAL" envDefault:"100ms"`
	// Socket.IO at /socket.io/ (ARCHITECTURE.md section 7). The Engine.IO
	// ping interval is PING_INTERVAL; a client silent for the ping timeout
	// after a ping is closed.
	SIOPingTimeout time.Duration `env:"SOCKETIO_PING_TIMEOUT" envDefault:"20s"`
	// SIOCORSOrigins: browser origins allowed to long-poll ("*": any; no
	// cookies are ever used, clients send a bearer token).
	SIOCORSOrigins []string `env:"SOCKETIO_CORS_ORIGINS" envDefault:"*" envSeparator:","`
	// AdvertiseAddr: host:port where the other gateways reach this one, for
	// long-polling requests that a load balancer sends to the wrong
	// gateway; default: GATEWAY_ADDR with 127.0.0.1 for an empty host.
	AdvertiseAddr string `env:"GATEWAY_ADVERTISE_ADDR"`
	// AuthTokenCacheSize: verified access tokens remembered (per
	// generation; at most twice as many entries); 0 disables.
	AuthTokenCacheSize int `env:"AUTH_TOKEN_CACHE_SIZE" envDefault:"100000"`
}

// Validate reports every problem at once, each as "VARIABLE: what is wrong".
// config.Parse validates the embedded Redis and Runtime blocks itself.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if err := config.CheckAddr("GATEWAY_ADDR", c.Addr); err != nil {
		errs = append(errs, err)
	}
	switch {
	case c.JWTPublicKeyFile == "" && c.JWKSURL == "":
		bad("JWT_PUBLIC_KEY_FILE or JWKS_URL: one is required to verify access tokens")
	case c.JWTPublicKeyFile != "" && c.JWKSURL != "":
		bad("JWT_PUBLIC_KEY_FILE and JWKS_URL: set only one")
	case c.JWKSURL != "":
		if u, err := url.Parse(c.JWKSURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("JWKS_URL: want an http(s) URL")
		} else if c.Env.IsProduction() && u.Scheme != "https" {
			bad("JWKS_URL: must be https in production")
		}
	}
	if c.JWTIssuer == "" || c.JWTAudience == "" {
		bad("JWT_ISSUER and JWT_AUDIENCE: must not be empty")
	}
	rng := func(name string, v, lo, hi int) {
		if v < lo || v > hi {
			bad("%s: must be between %d and %d (got %d)", name, lo, hi, v)
		}
	}
	rng("WS_MAX_FRAME_BYTES", c.MaxFrameBytes, 512, 1<<20)
	rng("WS_SEND_BUFFER", c.SendBuffer, 16, 1<<16)
	rng("WS_RATE_BURST", c.RateBurst, 1, 1<<20)
	rng("WS_USER_RATE_PER_SEC", c.UserRatePerSec, 1, 1<<20)
	rng("WS_USER_RATE_BURST", c.UserRateBurst, 1, 1<<20)
	rng("WS_BOT_RATE_PER_SEC", c.BotRatePerSec, 1, 1<<20)
	rng("WS_BOT_RATE_BURST", c.BotRateBurst, 1, 1<<20)
	rng("WS_BAD_FRAME_LIMIT", c.BadFrameLimit, 0, 1000)
	rng("WS_MAX_SOCKETS_PER_USER", c.MaxSocketsPerUser, 0, 1<<20)
	rng("WS_QUEUE_MAX", c.QueueMax, 1, 1<<16)
	if c.QueueSlowCommand <= 0 || c.QueueSlowCommand > c.CommandTimeout {
		bad("WS_QUEUE_SLOW_COMMAND: must be positive and at most COMMAND_TIMEOUT (got %s)", c.QueueSlowCommand)
	}
	if c.QueueMaxWait == 0 || c.QueueMaxWait > c.CommandTimeout {
		bad("WS_QUEUE_MAX_WAIT: must be non-zero (negative: no limit) and at most COMMAND_TIMEOUT (got %s)", c.QueueMaxWait)
	}
	if c.RateAbuseWindow < time.Second || c.RateAbuseWindow > time.Minute {
		bad("WS_RATE_ABUSE_WINDOW: must be between 1s and 1m (got %s)", c.RateAbuseWindow)
	}
	rng("REPLAY_MAX", c.ReplayMax, 1, 10000)
	rng("EVENT_STREAM_PARTITIONS", c.Partitions, 1, 1024)
	rng("AUTH_TOKEN_CACHE_SIZE", c.AuthTokenCacheSize, 0, 1<<24)
	if c.RateLimitSyncInterval < time.Millisecond || c.RateLimitSyncInterval > 10*time.Second {
		bad("RATE_LIMIT_SYNC_INTERVAL: must be between 1ms and 10s (got %s)", c.RateLimitSyncInterval)
	}
	if c.RatePerSec <= 0 {
		bad("WS_RATE_PER_SEC: must be positive (got %v)", c.RatePerSec)
	}
	atLeast := func(name string, v, lo time.Duration) {
		if v < lo {
			bad("%s: must be at least %s (got %s)", name, lo, v)
		}
	}
	atLeast("PING_INTERVAL", c.PingInterval, time.Second)
	atLeast("SOCKETIO_PING_TIMEOUT", c.SIOPingTimeout, 500*time.Millisecond)
	for _, o := range c.SIOCORSOrigins {
		if o == "*" {
			continue
		}
		if u, err := url.Parse(o); err != nil || u.Scheme == "" || u.Host == "" || u.Path != "" {
			bad("SOCKETIO_CORS_ORIGINS: entry %q: want an origin such as https://app.example.com, or *", o)
		}
	}
	if c.AdvertiseAddr != "" {
		if host, _, err := net.SplitHostPort(c.AdvertiseAddr); err != nil || host == "" {
			bad("GATEWAY_ADVERTISE_ADDR: want host:port (got %q)", c.AdvertiseAddr)
		}
	}
	atLeast("PRESENCE_TTL", c.PresenceTTL, time.Second)
	atLeast("TYPING_TTL", c.TypingTTL, 500*time.Millisecond)
	atLeast("COMMAND_TIMEOUT", c.CommandTimeout, 100*time.Millisecond)
	atLeast("SHUTDOWN_TIMEOUT", c.ShutdownTimeout, time.Second)
	return errors.Join(errs...)
}

// advertiseAddr is GATEWAY_ADVERTISE_ADDR, else GATEWAY_ADDR with
// 127.0.0.1 for a missing or wildcard host (a local run).
func (c Config) advertiseAddr() string {
	if c.AdvertiseAddr != "" {
		return c.AdvertiseAddr
	}
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return ""
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// allowOrigin is the CORS check of Socket.IO's long-polling.
func (c Config) allowOrigin() func(string) bool {
	if slices.Contains(c.SIOCORSOrigins, "*") {
		return nil
	}
	return func(origin string) bool { return slices.Contains(c.SIOCORSOrigins, origin) }
}
