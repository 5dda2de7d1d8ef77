package domain

import (
	"strings"
	"unicode/utf8"
)

// Page sizes shared by every listing.
const (
	DefaultPageSize = 50
	MaxPageSize     = 100
	MaxSearchLength = 200
)

// HistoryQuery selects a page of a room's messages by seq. With neither
// bound (and not Ascending) it returns the newest messages, newest first.
// Before alone pages backwards (newest first). Ascending reads forwards
// from After (After 0: from the first message), optionally stopping
// before Before.
type HistoryQuery struct {
	Before    int64 // 0: no upper bound
	After     int64
	Ascending bool
	Limit     int // 0: DefaultPageSize
}

// Normalize validates q and fills defaults.
func (q HistoryQuery) Normalize() (HistoryQuery, error) {
	if q.After > 0 {
		q.Ascending = true
	}
	switch {
	case q.Before < 0:
		return q, invalid("before", "must be a positive seq")
	case q.After < 0:
		return q, invalid("after", "must be zero or a positive seq")
	case q.Before > 0 && q.Ascending && q.Before <= q.After:
		return q, invalid("before", "must be greater than after")
	}
	limit, err := NormalizeLimit(q.Limit)
	q.Limit = limit
	return q, err
}

// HistoryPage is a page of messages in the order asked. Next is the cursor
// for the following page (pass it as Before when descending, as After when
// ascending); 0 when there is nothing more.
type HistoryPage struct {
	Items []Message
	Next  int64
}

// NormalizeLimit validates a page size (1..100) and defaults 0 to 50.
func NormalizeLimit(n int) (int, error) {
	switch {
	case n == 0:
		return DefaultPageSize, nil
	case n < 1 || n > MaxPageSize:
		return n, invalid("limit", "must be between 1 and 100")
	}
	return n, nil
}

// ListQuery pages a list keyed by id: items after After, at most Limit.
type ListQuery struct {
	After string // exclusive; "" from the start
	Limit int
}

// Normalize validates q and fills defaults.
func (q ListQuery) Normalize() (ListQuery, error) {
	limit, err := NormalizeLimit(q.Limit)
	q.Limit = limit
	return q, err
}

// NormalizeFilter validates a free-text filter (room directory, search).
func NormalizeFilter(field, s string, required bool) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case required && s == "":
		return s, invalid(field, "must not be empty")
	case !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0:
		return s, invalid(field, "must be valid UTF-8 text")
	case utf8.RuneCountInString(s) > MaxSearchLength:
		return s, invalid(field, "must be at most 200 characters")
	}
	return s, nil
}

// SearchQuery is a full-text search over the caller's rooms (or one room).
// Results are ranked; After continues after the last hit of a page.
type SearchQuery struct {
	Text   string
	RoomID string // "" = every room the caller is a member of
	After  *SearchCursor
	Limit  int
}

// SearchCursor is the position of a hit in the ranking: rank descending,
// then message id descending (newest first among equal ranks).
type SearchCursor struct {
	Rank      float32
	MessageID string
}

// SearchHit is a message that matched, with its rank.
type SearchHit struct {
	Message Message
	Rank    float32
}

// RoomView is a room as listed to one user: with its newest message (nil
// when empty) and the user's unread count and role.
type RoomView struct {
	Room        Room
	Role        Role
	LastMessage *Message
	LastRead    int64
}

// Unread is the number of messages after the user's read pointer.
func (v RoomView) Unread() int64 {
	if n := v.Room.LastSeq - v.LastRead; n > 0 {
		return n
	}
	return 0
}
