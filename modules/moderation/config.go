package moderation

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Config is automatic moderation's configuration (worker), read from the
// environment; documented in .env.example.
type Config struct {
	Enabled bool `env:"MODERATION_ENABLED" envDefault:"true"`
	// BlockedWords is a comma-separated list of words and phrases;
	// WordsFile adds one per line (# comments).
	BlockedWords string `env:"MODERATION_BLOCKED_WORDS"`
	WordsFile    string `env:"MODERATION_WORDS_FILE"`
	// MaxLinks flags a message with more links than this (0: off).
	MaxLinks int `env:"MODERATION_MAX_LINKS" envDefault:"5"`
	// FloodMax flags a user's messages in a room past this many within
	// FloodWindow; RepeatMax the same content past this many within
	// RepeatWindow. 0 turns a rule off (the default: bots and imports post
	// fast on purpose; set them for rooms of people).
	FloodMax     int           `env:"MODERATION_FLOOD_MAX" envDefault:"0"`
	FloodWindow  time.Duration `env:"MODERATION_FLOOD_WINDOW" envDefault:"10s"`
	RepeatMax    int           `env:"MODERATION_REPEAT_MAX" envDefault:"0"`
	RepeatWindow time.Duration `env:"MODERATION_REPEAT_WINDOW" envDefault:"1m"`
	// URL of an OpenAI-compatible moderation API (…/v1/moderations is
	// called); empty: built-in classifier only.
	URL             string        `env:"MODERATION_URL"`
	APIKey          string        `env:"MODERATION_API_KEY" secret:"true"`
	Model           string        `env:"MODERATION_MODEL"`
	Timeout         time.Duration `env:"MODERATION_TIMEOUT" envDefault:"3s"`
	BreakerFailures uint32        `env:"MODERATION_BREAKER_FAILURES" envDefault:"5"`
	BreakerOpenFor  time.Duration `env:"MODERATION_BREAKER_OPEN_FOR" envDefault:"30s"`
}

// Validate reports every problem, each naming its variable.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.MaxLinks < 0 || c.FloodMax < 0 || c.RepeatMax < 0 {
		bad("MODERATION_MAX_LINKS, MODERATION_FLOOD_MAX and MODERATION_REPEAT_MAX must not be negative")
	}
	if (c.FloodMax > 0 && c.FloodWindow < time.Second) || (c.RepeatMax > 0 && c.RepeatWindow < time.Second) {
		bad("MODERATION_FLOOD_WINDOW and MODERATION_REPEAT_WINDOW: want at least 1s")
	}
	if c.URL != "" {
		if u, err := url.Parse(c.URL); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			bad("MODERATION_URL %q: want an absolute http(s) URL", c.URL)
		}
		if c.Timeout <= 0 || c.BreakerOpenFor <= 0 || c.BreakerFailures < 1 {
			bad("MODERATION_TIMEOUT and MODERATION_BREAKER_OPEN_FOR must be positive, MODERATION_BREAKER_FAILURES at least 1")
		}
	}
	return errors.Join(errs...)
}
