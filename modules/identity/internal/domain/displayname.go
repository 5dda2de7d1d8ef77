package domain

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxDisplayNameLen is the longest display name, in characters (runes).
const MaxDisplayNameLen = 64

// DisplayName is a trimmed, non-empty name of at most 64 characters without
// control characters (they would break other users' rendering and logs).
type DisplayName string

// ParseDisplayName trims and validates s.
func ParseDisplayName(s string) (DisplayName, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", invalid("displayName", "is required")
	case !utf8.ValidString(s):
		return "", invalid("displayName", "must be valid UTF-8")
	case utf8.RuneCountInString(s) > MaxDisplayNameLen:
		return "", invalid("displayName", "must be at most 64 characters")
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "", invalid("displayName", "must not contain control characters")
	}
	return DisplayName(s), nil
}

// String returns the name.
func (d DisplayName) String() string { return string(d) }
