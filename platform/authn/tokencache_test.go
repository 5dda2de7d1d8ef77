package authn_test

import (
	"crypto/rsa"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/chatforge/chat/platform/authn"
)

// The cache must not change any outcome of Verify: a cached token still
// expires, is still refused before its iat, and a bad token stays bad.
func TestVerifyCachedKeepsTimeRules(t *testing.T) {
	t.Parallel()
	s, v := newPair(t)
	tok := sign(t, s, "user-1", "session-1", now)

	for range 2 { // the second call is a cache hit
		c, err := v.Verify(tok, now.Add(time.Minute))
		if err != nil || c.UserID != "user-1" || c.SessionID != "session-1" {
			t.Fatalf("Verify = %+v, %v", c, err)
		}
	}
	// Within the leeway after exp: still valid; past it: expired.
	if _, err := v.Verify(tok, now.Add(ttl+29*time.Second)); err != nil {
		t.Errorf("within leeway: %v", err)
	}
	if _, err := v.Verify(tok, now.Add(ttl+31*time.Second)); !errors.Is(err, authn.ErrExpiredToken) {
		t.Errorf("past exp+leeway: err = %v, want ErrExpiredToken", err)
	}
	if _, err := v.Verify(tok, now.Add(-31*time.Second)); !errors.Is(err, authn.ErrInvalidToken) {
		t.Errorf("before iat-leeway: err = %v, want ErrInvalidToken", err)
	}
	// And it stays usable in its lifetime after those refusals.
	if _, err := v.Verify(tok, now.Add(2*time.Minute)); err != nil {
		t.Errorf("after refusals: %v", err)
	}
}

func TestVerifyCacheDoesNotAdmitBadTokens(t *testing.T) {
	t.Parallel()
	s, v := newPair(t)
	tok := sign(t, s, "user-1", "session-1", now)
	if _, err := v.Verify(tok, now); err != nil { // the good token is cached
		t.Fatal(err)
	}
	// Same header and claims, another signature: not answered from the cache.
	tampered := tok[:len(tok)-4] + "AAAA"
	for range 2 {
		if _, err := v.Verify(tampered, now); !errors.Is(err, authn.ErrInvalidToken) {
			t.Fatalf("tampered token: err = %v", err)
		}
	}
	// A token first presented expired is refused, and is not cached as good.
	old := sign(t, s, "user-2", "session-2", now.Add(-time.Hour))
	for range 2 {
		if _, err := v.Verify(old, now); !errors.Is(err, authn.ErrExpiredToken) {
			t.Fatalf("expired token: err = %v", err)
		}
	}
}

// A tiny cache rotates constantly and must still answer right, also under
// concurrent use (run with -race).
func TestVerifyTinyCacheConcurrent(t *testing.T) {
	t.Parallel()
	key := testKey(t)
	s := authn.NewSigner(key, issuer, audience, ttl)
	v := authn.NewVerifier(map[string]*rsa.PublicKey{s.KeyID(): &key.PublicKey}, issuer, audience, authn.WithTokenCache(2))
	toks := make([]string, 8)
	for i := range toks {
		toks[i] = sign(t, s, "user-"+string(rune('a'+i)), "session", now)
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 50 {
				j := (i + w) % len(toks)
				c, err := v.Verify(toks[j], now)
				if err != nil || c.UserID != "user-"+string(rune('a'+j)) {
					t.Errorf("Verify(tok %d) = %+v, %v", j, c, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestVerifyWithoutCache(t *testing.T) {
	t.Parallel()
	key := testKey(t)
	s := authn.NewSigner(key, issuer, audience, ttl)
	v := authn.NewVerifier(map[string]*rsa.PublicKey{s.KeyID(): &key.PublicKey}, issuer, audience, authn.WithTokenCache(0))
	tok := sign(t, s, "user-1", "session-1", now)
	for range 2 {
		if _, err := v.Verify(tok, now); err != nil {
			t.Fatal(err)
		}
	}
}
