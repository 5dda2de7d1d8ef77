package domain

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"time"
)

// Signer makes and checks download-link signatures: an HMAC-SHA256 over the
// attachment id, the variant ("" or "thumb") and the expiry.
type Signer struct{ key []byte }

// NewSigner returns a Signer with key.
func NewSigner(key []byte) Signer { return Signer{key: key} }

// Sign returns the signature of (id, variant, exp).
func (s Signer) Sign(id, variant string, exp time.Time) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(id + "\x00" + variant + "\x00" + strconv.FormatInt(exp.Unix(), 10)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Valid reports whether sig signs (id, variant, exp) and exp is after now.
func (s Signer) Valid(id, variant string, exp int64, sig string, now time.Time) bool {
	if exp <= now.Unix() {
		return false
	}
	want := s.Sign(id, variant, time.Unix(exp, 0))
	return hmac.Equal([]byte(want), []byte(sig))
}
