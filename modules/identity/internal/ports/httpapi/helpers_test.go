package httpapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
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
	"github.com/chatforge/chat/platform/ratelimit"
	"github.com/chatforge/chat/platform/web"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	os.Exit(m.Run())
}

// rsaKey is generated once: RSA key generation is the slowest step here.
var rsaKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// server is the identity routes on fakes, with real JWTs and real auth
// middleware (without revocation checks).
type server struct {
	t     *testing.T
	h     http.Handler
	store *identitytest.Store
	mail  *identitytest.Mailer
}

// failingStore fails UserByID with an unexpected error, to exercise the
// 500 path.
type failingStore struct{ *identitytest.Store }

var errDown = errors.New("database is down")

func (failingStore) UserByID(context.Context, uuid.UUID) (domain.User, error) {
	return domain.User{}, errDown
}

func newServer(t *testing.T, limiter *ratelimit.Limiter, limits httpapi.Limits, store app.Store) *server {
	t.Helper()
	signer := authn.NewSigner(rsaKey(), "test", "test", 15*time.Minute)
	verifier := authn.NewVerifier(map[string]*rsa.PublicKey{signer.KeyID(): &rsaKey().PublicKey}, "test", "test")
	hasher, _ := domain.NewHasher(domain.HashParams{Memory: 1024, Iterations: 1, Parallelism: 1})
	s := &server{t: t, store: identitytest.NewStore(), mail: &identitytest.Mailer{}}
	if store == nil {
		store = s.store
	}
	a, err := app.New(app.Deps{
		Store: store, Mailer: s.mail, Resets: s.mail, Tokens: signer, Revoker: &identitytest.Revoker{}, Hasher: hasher,
		Config: app.Config{RefreshTTL: time.Hour, VerifyTTL: time.Hour},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelError}))
	httpapi.New(a, limiter, limits, log).Routes(r, authn.Middleware(verifier, nil), nil)
	s.h = r
	return s
}

type response struct {
	*httptest.ResponseRecorder
	t *testing.T
}

func (r response) json(dst any) {
	r.t.Helper()
	if err := json.Unmarshal(r.Body.Bytes(), dst); err != nil {
		r.t.Fatalf("decode %q: %v", r.Body.String(), err)
	}
}

func (r response) problem() web.Problem {
	r.t.Helper()
	if ct := r.Header().Get("Content-Type"); ct != web.ProblemContentType {
		r.t.Fatalf("Content-Type %q; want problem+json (body %s)", ct, r.Body)
	}
	var p web.Problem
	r.json(&p)
	return p
}

func (s *server) do(method, path string, body any, token string) response {
	s.t.Helper()
	return s.doFrom("", method, path, body, token)
}

// doFrom is do from the client address addr ("ip:port"; "" keeps
// httptest's).
func (s *server) doFrom(addr, method, path string, body any, token string) response {
	s.t.Helper()
	var buf bytes.Buffer
	if body != nil {
		if err := json.NewEncoder(&buf).Encode(body); err != nil {
			s.t.Fatal(err)
		}
	}
	req := httptest.NewRequest(method, path, &buf)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("User-Agent", "httpapi-test")
	if addr != "" {
		req.RemoteAddr = addr
	}
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	return response{rec, s.t}
}

func (s *server) want(r response, status int) {
	s.t.Helper()
	if r.Code != status {
		s.t.Fatalf("status %d; want %d (body %s)", r.Code, status, r.Body)
	}
}

type loginBody struct {
	AccessToken  string `json:"accessToken"`
	RefreshToken string `json:"refreshToken"`
	TokenType    string `json:"tokenType"`
	ExpiresIn    int    `json:"expiresIn"`
	User         struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	} `json:"user"`
}

// account registers and logs in email with password pw.
func (s *server) account(email string) loginBody {
	s.t.Helper()
	s.want(s.do("POST", "/api/auth/register", map[string]string{"email": email, "password": pw, "displayName": "Ada"}, ""), 201)
	r := s.do("POST", "/api/auth/login", map[string]string{"email": email, "password": pw}, "")
	s.want(r, 200)
	var lb loginBody
	r.json(&lb)
	return lb
}

const pw = "s3cret-passw0rd"

// resolveResets runs the worker's half of the forgot-password requests
// made so far (app.ResetResolver over the same fakes).
func (s *server) resolveResets() {
	s.t.Helper()
	r := app.NewResetResolver(s.store, s.mail, time.Hour, nil, nil)
	for _, req := range s.mail.ResetRequests() {
		if err := r.Resolve(context.Background(), req); err != nil {
			s.t.Fatal(err)
		}
	}
}
