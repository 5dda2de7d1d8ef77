package httpapi_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/chatforge/chat/modules/identity/identitytest"
	"github.com/chatforge/chat/modules/identity/internal/app"
	"github.com/chatforge/chat/modules/identity/internal/domain"
	"github.com/chatforge/chat/modules/identity/internal/ports/httpapi"
	"github.com/chatforge/chat/platform/authn"
	"github.com/chatforge/chat/platform/web"
)

// ctxStore fails UserByID the way a real store does when the request's
// context is cancelled mid-query: with the context's error, wrapped.
type ctxStore struct{ *identitytest.Store }

func (ctxStore) UserByID(ctx context.Context, _ uuid.UUID) (domain.User, error) {
	if err := ctx.Err(); err != nil {
		return domain.User{}, fmt.Errorf("select user: %w", err)
	}
	return domain.User{}, errDown
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A client that hangs up mid-request gets no 500 and no error log: the
// table logs at info and WriteProblem records 499.
func TestClientGoneIsNot500(t *testing.T) {
	t.Parallel()
	signer := authn.NewSigner(rsaKey(), "test", "test", 15*time.Minute)
	verifier := authn.NewVerifier(map[string]*rsa.PublicKey{signer.KeyID(): &rsaKey().PublicKey}, "test", "test")
	hasher, _ := domain.NewHasher(domain.HashParams{Memory: 1024, Iterations: 1, Parallelism: 1})
	a, err := app.New(app.Deps{
		Store: ctxStore{identitytest.NewStore()}, Mailer: &identitytest.Mailer{}, Resets: &identitytest.Mailer{}, Tokens: signer,
		Revoker: &identitytest.Revoker{}, Hasher: hasher,
		Config: app.Config{RefreshTTL: time.Hour, VerifyTTL: time.Hour},
	})
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r := gin.New()
	httpapi.New(a, nil, httpapi.Limits{}, log).Routes(r, authn.Middleware(verifier, nil), nil)
	s := &server{t: t, h: r}

	s.want(s.do("POST", "/api/auth/register", map[string]string{"email": "a@example.com", "password": pw, "displayName": "A"}, ""), 201)
	lr := s.do("POST", "/api/auth/login", map[string]string{"email": "a@example.com", "password": pw}, "")
	s.want(lr, 200)
	var lb loginBody
	lr.json(&lb)

	// Control: the same failure with the client still there is a logged 500.
	s.want(s.do("GET", "/api/user/profile", nil, lb.AccessToken), 500)
	if !strings.Contains(logs.String(), "level=ERROR") {
		t.Fatalf("a real failure must be logged at error; logs:\n%s", logs.String())
	}

	logs.mu.Lock()
	logs.b.Reset()
	logs.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequest("GET", "/api/user/profile", nil).WithContext(ctx)
	req.Header.Set("Authorization", "Bearer "+lb.AccessToken)
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)

	if rec.Code != web.StatusClientClosedRequest {
		t.Fatalf("status %d; want %d (body %s)", rec.Code, web.StatusClientClosedRequest, rec.Body)
	}
	if rec.Body.Len() != 0 {
		t.Fatalf("no problem body for a client that is gone; got %s", rec.Body)
	}
	out := logs.String()
	if strings.Contains(out, "level=ERROR") {
		t.Fatalf("client gone logged at error:\n%s", out)
	}
	if !strings.Contains(out, "level=INFO") || !strings.Contains(out, "context canceled") {
		t.Fatalf("client gone should be logged at info with its cause; logs:\n%s", out)
	}
}
