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

	"github.com/chatforge/chat/migrations"
	"github.com/chatforge/chat/modules/identity"
	"github.com/chatforge/chat/platform/authn"
	"github.com/chatforge/chat/platform/config"
	"github.com/chatforge/chat/platform/database"
	"github.com/chatforge/chat/platform/ratelimit"
	"github.com/chatforge/chat/platform/redisconn"
	"github.com/chatforge/chat/platform/testenv"
)

func TestNewChecksDepsAndConfig(t *testing.T) {
	t.Parallel()
	if _, err := identity.New(identity.Deps{}); err == nil {
		t.Fatal("New accepted empty deps")
	}
	cfg := identity.DefaultConfig()
	if cfg.Hash != (identity.HashParams{Memory: 64 * 1024, Iterations: 3, Parallelism: 2}) || cfg.RefreshTTL != 30*24*time.Hour ||
		cfg.VerifyTTL != 24*time.Hour || cfg.ResetTTL != time.Hour {
		t.Fatalf("defaults = %+v", cfg)
	}
}

// TestWiring drives the module as apps/api mounts it, over real PostgreSQL,
// Redis and asynq, through the real auth middleware: the pieces fit.
func TestWiring(t *testing.T) {
	t.Parallel()
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
	cfg := identity.Config{Hash: identity.HashParams{Memory: 1024, Iterations: 1, Parallelism: 1}, PublicBaseURL: "http://localhost:8080"}
	m, err := identity.New(identity.Deps{
		DB: db, Redis: rdb, Jobs: jobs, Signer: signer, Verifier: verifier, Revocations: revocations,
		Limiter: ratelimit.New(rdb, log), Log: log, Config: cfg,
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
	creds := map[string]string{"email": "wire@example.com", "password": "password1"}
	if code, _ := do("POST", "/api/auth/register", map[string]string{"email": creds["email"], "password": creds["password"], "displayName": "W"}, ""); code != 201 {
		t.Fatalf("register: %d", code)
	}
	code, login := do("POST", "/api/auth/login", creds, "")
	if code != 200 {
		t.Fatalf("login: %d %v", code, login)
	}
	access := login["accessToken"].(string)
	if code, _ := do("GET", "/api/user/profile", nil, access); code != 200 {
		t.Fatalf("profile: %d", code)
	}
	if code, _ := do("POST", "/api/auth/logout", nil, access); code != 204 {
		t.Fatalf("logout: %d", code)
	}
	if code, _ := do("GET", "/api/user/profile", nil, access); code != 401 {
		t.Fatalf("profile after logout: %d; want 401 (revoked in Redis)", code)
	}

	insp := asynq.NewInspector(opt)
	t.Cleanup(func() { _ = insp.Close() })
	tasks, err := insp.ListPendingTasks(identity.EmailQueue)
	if err != nil || len(tasks) != 1 || tasks[0].Type != identity.TaskVerifyEmail {
		t.Fatalf("pending tasks: %v %v", tasks, err)
	}
	var p identity.EmailPayload
	if err := json.Unmarshal(tasks[0].Payload, &p); err != nil || p.Email != "wire@example.com" ||
		p.Link != "http://localhost:8080/verify-email?token="+p.Token {
		t.Fatalf("payload %+v %v", p, err)
	}
}
