// Package app holds automatic moderation's use case: classify each new
// message (built-in rules first, then the remote classifier when there is
// one) and hide and report what is flagged.
package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/chatforge/chat/modules/moderation/internal/domain"
)

// Counter counts events in a window shared by every worker (Redis): Incr
// adds one to key and returns the count within the window that began with
// the key's first increment.
type Counter interface {
	Incr(ctx context.Context, key string, window time.Duration) (int64, error)
}

// Rules are the built-in classifier's settings; a zero limit turns its
// rule off.
type Rules struct {
	Words        domain.WordList
	MaxLinks     int           // more links than this in one message
	FloodMax     int           // more messages than this by a user in a room...
	FloodWindow  time.Duration // ...within this
	RepeatMax    int           // more identical messages than this by a user in a room...
	RepeatWindow time.Duration // ...within this
}

// Builtin is the classifier that needs no network. Safe for concurrent use.
type Builtin struct {
	rules   Rules
	counter Counter
}

// NewBuiltin returns the built-in classifier; counter may be nil when the
// flood and repeat rules are off.
func NewBuiltin(r Rules, c Counter) *Builtin { return &Builtin{rules: r, counter: c} }

// Classify implements Classifier. Counting errors (Redis down) skip the
// flood and repeat rules: fail open, like the remote classifier.
func (b *Builtin) Classify(ctx context.Context, in domain.Input) (domain.Verdict, error) {
	if w := b.rules.Words.Match(in.Content); w != "" {
		return domain.Verdict{Flagged: true, Reason: fmt.Sprintf("blocked word %q", w)}, nil
	}
	if b.rules.MaxLinks > 0 {
		if n := domain.CountLinks(in.Content); n > b.rules.MaxLinks {
			return domain.Verdict{Flagged: true, Reason: fmt.Sprintf("link spam (%d links)", n)}, nil
		}
	}
	if b.counter == nil || in.Edit {
		return domain.Verdict{}, nil
	}
	scope := in.RoomID + ":" + in.UserID
	if b.rules.FloodMax > 0 {
		n, err := b.counter.Incr(ctx, "flood:"+scope, b.rules.FloodWindow)
		if err == nil && n > int64(b.rules.FloodMax) {
			return domain.Verdict{Flagged: true, Reason: fmt.Sprintf("flooding (%d messages within %s)", n, b.rules.FloodWindow)}, nil
		}
	}
	if b.rules.RepeatMax > 0 {
		norm := strings.Join(domain.Tokens(in.Content), " ")
		if norm == "" {
			norm = strings.TrimSpace(in.Content)
		}
		sum := sha256.Sum256([]byte(norm))
		n, err := b.counter.Incr(ctx, "repeat:"+scope+":"+hex.EncodeToString(sum[:12]), b.rules.RepeatWindow)
		if err == nil && n > int64(b.rules.RepeatMax) {
			return domain.Verdict{Flagged: true, Reason: fmt.Sprintf("repeated content (%d times within %s)", n, b.rules.RepeatWindow)}, nil
		}
	}
	return domain.Verdict{}, nil
}
