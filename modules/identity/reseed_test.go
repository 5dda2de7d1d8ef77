package identity_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"

	"github.com/chatforge/chat/migrations"
	"github.com/chatforge/chat/modules/identity"
	"github.com/chatforge/chat/platform/authn"
	"github.com/chatforge/chat/platform/config"
	"github.com/chatforge/chat/platform/database"
	"github.com/chatforge/chat/platform/redisconn"
	"github.com/chatforge/chat/platform/testenv"
)

// wired is the module as apps/api mounts it, over the test's own
// PostgreSQL database and Redis DB.
type wired struct {
	m           *identity.Module
	db          *gorm.DB
	rdb         redis.UniversalClient
	jobs        *asynq.Client
	redisOpt    asynq.RedisConnOpt
	verifier    *authn.Verifier
	revocations *authn.Revocations
	do          func(method, path string, body any, token string) (int, map[string]any)
}

func wire(t *testing.T) *wired {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	db, err := database.Open(ctx, config.Postgres{URL: testenv.Postgres(t, migrations.FS), MaxOpenConns: 4, MaxIdleConns: 4}, log)
	if err != nil {
		t.Fatal(err)
	}
	redisURL := testenv.Redis(t)
	rdb, err := redisconn.Open(ctx, config.Redis{URL: redisURL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	opt, _ := asynq.ParseRedisURI(redisURL)
	jobs := asynq.NewClient(opt)
	t.Cleanup(func() { _ = jobs.Close() })
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	signer := authn.NewSigner(key, "iss", "aud", 15*time.Minute)
	verifier := authn.NewVerifier(map[string]*rsa.PublicKey{signer.KeyID(): &key.PublicKey}, "iss", "aud")
	revocations := authn.NewRevocations(rdb, signer.TTL())
	m, err := identity.New(identity.Deps{
		DB: db, Redis: rdb, Jobs: jobs, Signer: signer, Verifier: verifier, Revocations: revocations, Log: log,
		Config: identity.Config{Hash: identity.HashParams{Memory: 1024, Iterations: 1, Parallelism: 1}, PublicBaseURL: "http://localhost:8080"},
	})
	if err != nil {
		t.Fatal(err)
	}
	gin.SetMode(gin.TestMode)
	r := gin.New()
	m.Routes(r, authn.Middleware(verifier, revocations), nil)
	do := func(method, path string, body any, token string) (int, map[string]any) {
		b, _ := json.Marshal(body)
		req := httptest.NewRequest(method, path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		var out map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &out)
		return rec.Code, out
	}

	return &wired{m: m, db: db, rdb: rdb, jobs: jobs, redisOpt: opt, verifier: verifier, revocations: revocations, do: do}
}

// TestRevocationReseed: after Redis lost its data, a logged-out session's
// still-valid access token is admitted again, until the reseed copies the
// revocation back from PostgreSQL; then it is refused again. Real
// PostgreSQL and Redis (the test's own database and Redis DB).
func TestRevocationReseed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := wire(t)
	m, rdb, do, verifier, revocations := w.m, w.rdb, w.do, w.verifier, w.revocations
	creds := map[string]string{"email": "reseed@example.com", "password": "password1"}
	if code, _ := do("POST", "/api/auth/register", map[string]string{"email": creds["email"], "password": creds["password"], "displayName": "R"}, ""); code != 201 {
		t.Fatalf("register: %d", code)
	}
	_, login := do("POST", "/api/auth/login", creds, "")
	access, _ := login["accessToken"].(string)
	if code, _ := do("POST", "/api/auth/logout", nil, access); code != 204 {
		t.Fatalf("logout: %d", code)
	}
	if code, _ := do("GET", "/api/user/profile", nil, access); code != 401 {
		t.Fatalf("profile after logout: %d, want 401", code)
	}

	// Redis loses its data: the revoked session's token gets in again.
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if code, _ := do("GET", "/api/user/profile", nil, access); code != 200 {
		t.Fatalf("profile after the wipe: %d; the test expects the wipe to forget the revocation", code)
	}
	if n, err := m.ReseedRevocations(ctx); err != nil || n != 1 {
		t.Fatalf("reseed: %d restored, %v; want 1", n, err)
	}
	if code, _ := do("GET", "/api/user/profile", nil, access); code != 401 {
		t.Fatalf("profile after the reseed: %d, want 401", code)
	}
	ttl, err := rdb.PTTL(ctx, "revoked:sid:"+sessionOf(t, verifier, access)).Result()
	if err != nil || ttl <= 0 || ttl > revocations.Window() {
		t.Errorf("restored marker TTL %s (%v), want within the revocation window %s", ttl, err, revocations.Window())
	}
	// Markers present: nothing to restore.
	if n, err := m.ReseedRevocations(ctx); err != nil || n != 0 {
		t.Fatalf("second reseed: %d restored, %v; want 0", n, err)
	}
}

func sessionOf(t *testing.T, v *authn.Verifier, token string) string {
	t.Helper()
	c, err := v.Verify(token, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return c.SessionID
}
