package domain

import (
	"net/mail"
	"strings"
)

// MaxEmailLen is the longest address accepted (RFC 5321 path limit).
const MaxEmailLen = 254

// Email is a normalized e-mail address: trimmed and lower-cased, so that
// equality and the database's UNIQUE constraint are case-insensitive.
// Lower-casing the local part is a deliberate simplification: no mainstream
// provider distinguishes case there, and users do not either.
type Email string

// NormalizeEmail trims and lower-cases s without validating it. Rate-limit
// keys use it so that "A@x.io" and "a@x.io " count as one account.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// ParseEmail normalizes and validates an address. Display-name forms such as
// "Bob <bob@x.io>" are refused: the field holds an address only.
func ParseEmail(s string) (Email, error) {
	s = NormalizeEmail(s)
	switch {
	case s == "":
		return "", invalid("email", "is required")
	case len(s) > MaxEmailLen:
		return "", invalid("email", "must be at most 254 characters")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "", invalid("email", "is not a valid email address")
	}
	return Email(s), nil
}

// String returns the address.
func (e Email) String() string { return string(e) }
