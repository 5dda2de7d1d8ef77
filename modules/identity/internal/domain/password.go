package domain

import (
	"log/slog"
	"unicode/utf8"
)

// Password length bounds, in characters (runes). The upper bound keeps
// hashing cost bounded and is far above any passphrase a human types.
const (
	MinPasswordLen = 8
	MaxPasswordLen = 128
)

// Password is a plaintext password that satisfies the rules. It redacts
// itself when printed or logged, so it cannot leak through a log line.
type Password string

// ParsePassword validates s as a new password. It is not trimmed: spaces
// are legitimate password characters.
func ParsePassword(s string) (Password, error) {
	n := utf8.RuneCountInString(s)
	switch {
	case s == "":
		return "", invalid("password", "is required")
	case !utf8.ValidString(s):
		return "", invalid("password", "must be valid UTF-8")
	case n < MinPasswordLen:
		return "", invalid("password", "must be at least 8 characters")
	case n > MaxPasswordLen:
		return "", invalid("password", "must be at most 128 characters")
	}
	return Password(s), nil
}

// String redacts the password.
func (Password) String() string { return "[redacted]" }

// LogValue redacts the password in slog records.
func (Password) LogValue() slog.Value { return slog.StringValue("[redacted]") }
