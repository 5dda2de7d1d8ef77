package streamcmd

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Load shedding. Past what the api can carry, storing every send anyway
// only makes every message late (the command stream, or the outbox behind
// the relay, grows without bound). Instead a send-message is answered
// unavailable, unrun and not stored, with a retry hint when
//   - it waited more than ShedAfter between its gateway's append and the
//     start of its batch (the command backlog), or
//   - the oldest event the relay has not published yet is older than
//     MaxRelayLag (the outbox backlog).
// The client keeps its socket and resends (same clientMsgId) after the
// hint; what is accepted stays within those bounds of latency.

// overloaded is the reply of a shed send-message.
func overloaded(retry time.Duration) *Error {
	return &Error{Code: CodeUnavailable, RetryAfterMs: retry.Milliseconds(),
		Message: fmt.Sprintf("the server is overloaded; not stored, retry in %d ms", retry.Milliseconds())}
}

// entryAge is how long ago the entry id (Redis's clock, ms) was appended.
func entryAge(id string, now time.Time) time.Duration {
	ms, _, _ := strings.Cut(id, "-")
	born, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return 0
	}
	return now.Sub(time.UnixMilli(born))
}

// waited is how long cmd waited before being read at now: from its
// gateway's SentAt (microseconds; the gateway's clock), else from its
// entry id (Redis's clock, milliseconds).
func waited(cmd Command, id string, now time.Time) time.Duration {
	if !cmd.SentAt.IsZero() {
		return max(now.Sub(cmd.SentAt), 0)
	}
	return max(entryAge(id, now), 0)
}

// lagGate answers whether the relay's lag passed a bound, asking lag at
// most once per lagCheckEvery (the answer is shared by every send slot).
type lagGate struct {
	lag func(context.Context) (time.Duration, error)
	max time.Duration

	mu   sync.Mutex
	next time.Time
	over bool
}

const lagCheckEvery = 100 * time.Millisecond

// exceeded reports whether the last measured lag passed the bound. A
// failed measure is no reason to shed: the sends then fail or succeed on
// their own.
func (g *lagGate) exceeded(ctx context.Context) bool {
	if g.lag == nil {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	now := time.Now()
	if now.Before(g.next) {
		return g.over
	}
	g.next = now.Add(lagCheckEvery)
	ctx, cancel := context.WithTimeout(ctx, 2*lagCheckEvery)
	defer cancel()
	lag, err := g.lag(ctx)
	g.over = err == nil && lag > g.max
	return g.over
}
