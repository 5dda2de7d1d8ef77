package messaging

import (
	"errors"
	"fmt"
	"time"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// Config tunes the module. Tags are for platform/config (caarlos0/env);
// apps embed it with envPrefix:"". Zero fields take the defaults in New.
type Config struct {
	// MessageMaxLength is the longest message content, in characters (runes).
	MessageMaxLength int `env:"MESSAGE_MAX_LENGTH" envDefault:"4000"`
	// MessageEditWindow is how long after sending its author may edit a
	// message; 0 means no limit.
	MessageEditWindow time.Duration `env:"MESSAGE_EDIT_WINDOW" envDefault:"0s"`
	// ModerationDefaultMute is how long a report resolved with "mute" and
	// no end mutes the message's author.
	ModerationDefaultMute time.Duration `env:"MODERATION_DEFAULT_MUTE" envDefault:"24h"`
	// StreamPartitions is how many event streams rooms are spread over
	// (chat:events:{0} .. {N-1}). Changing it moves rooms between streams:
	// only do it with the gateways drained.
	StreamPartitions int `env:"EVENT_STREAM_PARTITIONS" envDefault:"4"`
	// StreamMaxLen caps each stream at about this many entries.
	StreamMaxLen int64 `env:"EVENT_STREAM_MAXLEN" envDefault:"100000"`
	// RelayBatch is how many outbox events one relay transaction publishes.
	RelayBatch int `env:"OUTBOX_RELAY_BATCH" envDefault:"500"`
	// RelayOnly leaves every event to the outbox relay, as before
	// publishing on commit: new messages then wait for the relay's next
	// drain (one more transaction on the path of each).
	RelayOnly bool `env:"OUTBOX_RELAY_ONLY" envDefault:"false"`
	// RelayGrace is how long the relay leaves a new message's event to the
	// process that committed it before publishing it itself (the committer
	// died or could not reach Redis). A room's later messages wait for it
	// meanwhile (the streams keep seq order).
	RelayGrace time.Duration `env:"OUTBOX_RELAY_GRACE" envDefault:"2s"`
	// SyncTokenTTL is how long a GET /api/chat/sync token stays good; a
	// device away longer gets the full state.
	SyncTokenTTL time.Duration `env:"SYNC_TOKEN_TTL" envDefault:"720h"`
	// CiphertextMaxBytes bounds an encrypted message: the base64 copies
	// for all recipient devices together.
	CiphertextMaxBytes int `env:"MESSAGE_CIPHERTEXT_MAX_BYTES" envDefault:"262144"`
}

func (c Config) withDefaults() Config {
	if c.MessageMaxLength == 0 {
		c.MessageMaxLength = domain.DefaultMaxContentLength
	}
	if c.ModerationDefaultMute == 0 {
		c.ModerationDefaultMute = 24 * time.Hour
	}
	if c.StreamPartitions == 0 {
		c.StreamPartitions = 4
	}
	if c.StreamMaxLen == 0 {
		c.StreamMaxLen = 100000
	}
	if c.RelayBatch == 0 {
		c.RelayBatch = 500
	}
	if c.RelayGrace == 0 {
		c.RelayGrace = 2 * time.Second
	}
	if c.SyncTokenTTL == 0 {
		c.SyncTokenTTL = 720 * time.Hour
	}
	if c.CiphertextMaxBytes == 0 {
		c.CiphertextMaxBytes = domain.DefaultMaxCiphertextBytes
	}
	return c
}

// Validate reports every out-of-range setting.
func (c Config) Validate() error {
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	check(c.MessageMaxLength >= 1 && c.MessageMaxLength <= 65536, "MESSAGE_MAX_LENGTH must be 1..65536, got %d", c.MessageMaxLength)
	check(c.MessageEditWindow >= 0, "MESSAGE_EDIT_WINDOW must not be negative, got %s", c.MessageEditWindow)
	check(c.ModerationDefaultMute >= time.Minute, "MODERATION_DEFAULT_MUTE must be at least 1m, got %s", c.ModerationDefaultMute)
	check(c.StreamPartitions >= 1 && c.StreamPartitions <= 1024, "EVENT_STREAM_PARTITIONS must be 1..1024, got %d", c.StreamPartitions)
	check(c.StreamMaxLen >= 1000, "EVENT_STREAM_MAXLEN must be at least 1000, got %d", c.StreamMaxLen)
	check(c.RelayBatch >= 1 && c.RelayBatch <= 5000, "OUTBOX_RELAY_BATCH must be 1..5000, got %d", c.RelayBatch)
	check(c.RelayGrace >= 100*time.Millisecond && c.RelayGrace <= time.Hour, "OUTBOX_RELAY_GRACE must be 100ms..1h, got %s", c.RelayGrace)
	check(c.SyncTokenTTL >= time.Minute, "SYNC_TOKEN_TTL must be at least 1m, got %s", c.SyncTokenTTL)
	check(c.CiphertextMaxBytes >= 1024 && c.CiphertextMaxBytes <= 16<<20, "MESSAGE_CIPHERTEXT_MAX_BYTES must be 1024..16777216, got %d", c.CiphertextMaxBytes)
	return errors.Join(errs...)
}
