package presence

import (
	"sync"
	"time"

	"github.com/chatforge/chat/modules/presence/internal/domain"
)

// TypingTracker is a receiver's table of ongoing typing indicators. It
// turns the stream of typing messages into transitions worth announcing
// (start once, stop once) and ends the ones not refreshed within the TTL.
// Safe for concurrent use.
type TypingTracker struct {
	mu    sync.Mutex
	table *domain.TypingTable
}

// NewTypingTracker returns a tracker whose entries last ttl.
func NewTypingTracker(ttl time.Duration) *TypingTracker {
	return &TypingTracker{table: domain.NewTypingTable(ttl)}
}

// Apply records t at now and reports whether it is a transition to announce
// (a start of someone not typing, a stop of someone typing).
func (t *TypingTracker) Apply(ty Typing, now time.Time) bool {
	k := domain.TypingKey{UserID: ty.UserID, RoomID: ty.RoomID}
	t.mu.Lock()
	defer t.mu.Unlock()
	if ty.Active {
		return t.table.Start(k, now)
	}
	return t.table.Stop(k)
}

// Expire returns the typing indicators that ran out by now, as stops.
func (t *TypingTracker) Expire(now time.Time) []Typing {
	t.mu.Lock()
	keys := t.table.Expire(now)
	t.mu.Unlock()
	out := make([]Typing, len(keys))
	for i, k := range keys {
		out[i] = Typing{UserID: k.UserID, RoomID: k.RoomID}
	}
	return out
}
