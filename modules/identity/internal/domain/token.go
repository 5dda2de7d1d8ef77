package domain

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// tokenBytes is the entropy of every opaque token (refresh, e-mail): 256
// bits, so guessing one is hopeless and a plain SHA-256 (no salt, no slow
// hash) is enough to store it.
const tokenBytes = 32

// tokenLen is the length of a token's base64url (unpadded) text.
var tokenLen = base64.RawURLEncoding.EncodedLen(tokenBytes)

// TokenHash is the SHA-256 of a token's text: the only form stored.
type TokenHash [sha256.Size]byte

// NewToken returns a fresh random token and its hash.
func NewToken() (string, TokenHash) {
	b := make([]byte, tokenBytes)
	rand.Read(b) // never fails (crypto/rand, Go >= 1.24)
	s := base64.RawURLEncoding.EncodeToString(b)
	return s, HashToken(s)
}

// HashToken hashes a token's text.
func HashToken(s string) TokenHash { return sha256.Sum256([]byte(s)) }

// ParseToken hashes s when it has the shape of a token we issued; ok is
// false otherwise, which spares a database round trip for garbage.
func ParseToken(s string) (h TokenHash, ok bool) {
	if len(s) != tokenLen {
		return h, false
	}
	if _, err := base64.RawURLEncoding.DecodeString(s); err != nil {
		return h, false
	}
	return HashToken(s), true
}
