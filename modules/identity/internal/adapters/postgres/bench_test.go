package postgres_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chatforge/chat/modules/identity/identitytest"
	"github.com/chatforge/chat/modules/identity/internal/adapters/postgres"
	"github.com/chatforge/chat/modules/identity/internal/app"
	"github.com/chatforge/chat/modules/identity/internal/domain"
	"github.com/chatforge/chat/platform/authn"
	"github.com/chatforge/chat/platform/config"
	"github.com/chatforge/chat/platform/redisconn"
	"github.com/chatforge/chat/platform/testenv"
)

// Benchmarks of the use cases on the real PostgreSQL (HTTP is measured by
// the end-to-end suite). Run with:
//
//	go test -run '^$' -bench . ./modules/identity/internal/adapters/postgres
//
// Login is shown with the test hash cost and with the production default,
// which dominates it by design.

var (
	testHash = domain.HashParams{Memory: 1024, Iterations: 1, Parallelism: 1}
	prodHash = domain.HashParams{Memory: 64 * 1024, Iterations: 3, Parallelism: 2}
)

type benchEnv struct {
	app      *app.App
	verifier *authn.Verifier
	revoked  *authn.Revocations
	email    string
}

func newBenchEnv(b *testing.B, hp domain.HashParams) *benchEnv {
	b.Helper()
	ctx := context.Background()
	db := openDB(b)
	rdb, err := redisconn.Open(ctx, config.Redis{URL: testenv.Redis(b)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = rdb.Close() })
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	signer := authn.NewSigner(key, "bench", "bench", 15*time.Minute)
	env := &benchEnv{
		verifier: authn.NewVerifier(map[string]*rsa.PublicKey{signer.KeyID(): &key.PublicKey}, "bench", "bench"),
		revoked:  authn.NewRevocations(rdb, signer.TTL()),
		email:    "bench@example.com",
	}
	h, err := domain.NewHasher(hp)
	if err != nil {
		b.Fatal(err)
	}
	env.app, err = app.New(app.Deps{
		Store: postgres.New(db), Mailer: &identitytest.Mailer{}, Resets: &identitytest.Mailer{}, Tokens: signer, Revoker: env.revoked, Hasher: h,
		Config: app.Config{RefreshTTL: 30 * 24 * time.Hour, VerifyTTL: time.Hour},
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := env.app.Register(ctx, app.RegisterInput{Email: env.email, Password: "password1", DisplayName: "B"}); err != nil {
		b.Fatal(err)
	}
	return env
}

func (e *benchEnv) login(b *testing.B) app.Tokens {
	t, _, err := e.app.Login(context.Background(), app.LoginInput{Email: e.email, Password: "password1", UserAgent: "bench", IP: "127.0.0.1"})
	if err != nil {
		b.Fatal(err)
	}
	return t
}

// BenchmarkLogin: user lookup, argon2id verify, session + refresh token
// insert (one transaction), JWT signing.
func BenchmarkLogin(b *testing.B) {
	for _, c := range []struct {
		name string
		hp   domain.HashParams
	}{{"argon2=test", testHash}, {"argon2=default", prodHash}} {
		b.Run(c.name, func(b *testing.B) {
			e := newBenchEnv(b, c.hp)
			b.ReportAllocs()
			for b.Loop() {
				e.login(b)
			}
		})
	}
}

// BenchmarkRefresh: one rotation per op (lock token and session, spend,
// insert next, sign), each op using the token the previous one issued.
func BenchmarkRefresh(b *testing.B) {
	e := newBenchEnv(b, testHash)
	refresh := e.login(b).RefreshToken
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		t, err := e.app.Refresh(ctx, refresh)
		if err != nil {
			b.Fatal(err)
		}
		refresh = t.RefreshToken
	}
}

// BenchmarkAuthenticatedGet: what GET /api/user/profile costs below HTTP:
// JWT verification, the Redis revocation check and the profile query.
func BenchmarkAuthenticatedGet(b *testing.B) {
	e := newBenchEnv(b, testHash)
	access := e.login(b).AccessToken
	get := func() error {
		ctx := context.Background()
		claims, err := e.verifier.Verify(access, time.Now())
		if err != nil {
			return err
		}
		if revoked, err := e.revoked.IsRevoked(ctx, claims.SessionID); err != nil || revoked {
			return fmt.Errorf("revoked=%v err=%v", revoked, err)
		}
		_, err = e.app.Profile(ctx, uuid.MustParse(claims.UserID))
		return err
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := get(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := get(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
