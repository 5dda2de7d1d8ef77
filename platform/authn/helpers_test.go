package authn_test

import (
	"crypto/rsa"
	"testing"
	"time"

	"github.com/chatforge/chat/platform/authn"
)

const (
	issuer   = "https://chat.test"
	audience = "chat-api"
	ttl      = 15 * time.Minute
)

// now is a fixed clock: the tests never depend on the wall clock.
var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func testKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	key, err := authn.LoadPrivateKey("testdata/rsa_pkcs1.pem")
	if err != nil {
		t.Fatalf("load test key: %v", err)
	}
	return key
}

// newPair returns a signer over the test key and a verifier trusting it.
func newPair(t *testing.T) (*authn.Signer, *authn.Verifier) {
	t.Helper()
	key := testKey(t)
	s := authn.NewSigner(key, issuer, audience, ttl)
	v := authn.NewVerifier(map[string]*rsa.PublicKey{s.KeyID(): &key.PublicKey}, issuer, audience)
	return s, v
}

func sign(t *testing.T, s *authn.Signer, userID, sessionID string, at time.Time) string {
	t.Helper()
	tok, _, err := s.Sign(userID, sessionID, at)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return tok
}
