package authn_test

import (
	"context"
	"crypto/rsa"
	"testing"

	"github.com/redis/go-redis/v9"

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
	v := authn.NewVerifier(map[string]*rsa.PublicKey{s.KeyID(): &key.PublicKey}, issuer, audience)
	tok, _, err := s.Sign("0b6a1c2e-3d4f-4a5b-8c7d-9e0f1a2b3c4d", "1c7b2d3f-4e5a-4b6c-9d8e-0f1a2b3c4d5e", now)
	if err != nil {
		b.Fatal(err)
	}
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

// BenchmarkIsRevoked is the revocation check every authenticated request
// makes after Verify: one Redis EXISTS round trip (needs Redis).
func BenchmarkIsRevoked(b *testing.B) {
	if testing.Short() {
		b.Skip("needs Redis")
	}
	opts, err := redis.ParseURL(testenv.Redis(b))
	if err != nil {
		b.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	r := authn.NewRevocations(rdb, ttl)
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
