package domain

import "time"

// TypingKey names one user typing in one room.
type TypingKey struct {
	UserID string
	RoomID string
}

// Typing is a typing indicator change: Active true for typing-start.
type Typing struct {
	UserID string
	RoomID string
	Active bool
}

// TypingTable is a receiver's view of who is typing where. A typing-start
// not refreshed within the TTL ends by itself, so a typer whose
// typing-stop was lost (closed tab, dead gateway) does not type forever.
// Not safe for concurrent use.
type TypingTable struct {
	ttl   time.Duration
	until map[TypingKey]time.Time
}

// NewTypingTable returns an empty table whose entries last ttl.
func NewTypingTable(ttl time.Duration) *TypingTable {
	return &TypingTable{ttl: ttl, until: make(map[TypingKey]time.Time)}
}

// Start records k typing at now. It reports whether this starts typing
// (false: it only refreshes an ongoing one, nothing to announce).
func (t *TypingTable) Start(k TypingKey, now time.Time) bool {
	_, typing := t.until[k]
	t.until[k] = now.Add(t.ttl)
	return !typing
}

// Stop ends k's typing; it reports whether k was typing.
func (t *TypingTable) Stop(k TypingKey) bool {
	_, typing := t.until[k]
	delete(t.until, k)
	return typing
}

// Expire removes and returns the entries not refreshed in time.
func (t *TypingTable) Expire(now time.Time) []TypingKey {
	var out []TypingKey
	for k, until := range t.until {
		if !now.Before(until) {
			out = append(out, k)
			delete(t.until, k)
		}
	}
	return out
}

// Len is the number of ongoing typings.
func (t *TypingTable) Len() int { return len(t.until) }
