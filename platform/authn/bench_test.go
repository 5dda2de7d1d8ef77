package authn_test

import (
	"context"
	"crypto/rsa"
	"testing"

	"github.com/chatforge/chat/platform/authn"
	"github.com/chatforge/chat/platform/testenv"
)

// BenchmarkVerify is the cost of checking one access token (RS256 over a
// 2048-bit key, claims parsing and validation): paid by every
// authenticated request and every socket upgrade.
func BenchmarkVerify(b *testing.B) {
	key, err := authn.LoadPrivateKey("testdata/rsa_pkcs1.pem")
	if err != nil {
		b.Fatal(err)
	}
	s := authn.NewSigner(key, issuer, audience, ttl)
	keys := map[string]*rsa.PublicKey{s.KeyID(): &key.PublicKey}
	v := authn.NewVerifier(keys, issuer, audience)
	tok, _, err := s.Sign("0b6a1c2e-3d4f-4a5b-8c7d-9e0f1a2b3c4d", "1c7b2d3f-4e5a-4b6c-9d8e-0f1a2b3c4d5e", now)
	if err != nil {
		b.Fatal(err)
	}
	// The RS256 check itself: a token never seen, as without the cache.
	b.Run("uncached", func(b *testing.B) {
		cold := authn.NewVerifier(keys, issuer, audience, authn.WithTokenCache(0))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := cold.Verify(tok, now); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The same token again: answered from the cache.
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(tok, now); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := v.Verify(tok, now); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkIsRevoked is the revocation check without a running mirror
// (its fallback): one Redis EXISTS round trip (needs Redis).
func BenchmarkIsRevoked(b *testing.B) {
	if testing.Short() {
		b.Skip("needs Redis")
	}
	r := authn.NewRevocations(testenv.RedisClient(b), ttl)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if revoked, err := r.IsRevoked(ctx, "1c7b2d3f-4e5a-4b6c-9d8e-0f1a2b3c4d5e"); err != nil || revoked {
				b.Error(revoked, err)
				return
			}
		}
	})
}
