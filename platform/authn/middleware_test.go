package authn_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/platform/authn"
)

func TestMiddleware(t *testing.T) {
	t.Parallel()
	gin.SetMode(gin.TestMode)
	s, v := newPair(t)
	rdb := newRedis(t)
	rev := authn.NewRevocations(rdb, ttl)

	// Redis that is never there: the revocation check must fail closed (503).
	down := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { _ = down.Close() })

	engine := func(r *authn.Revocations) *gin.Engine {
		e := gin.New()
		e.GET("/me", authn.Middleware(v, r), func(c *gin.Context) {
			p := authn.PrincipalFrom(c)
			ctxP, ok := authn.FromContext(c.Request.Context())
			if !ok || ctxP != p {
				c.String(http.StatusInternalServerError, "principal not in request context")
				return
			}
			c.String(http.StatusOK, p.UserID+"/"+p.SessionID)
		})
		return e
	}
	up, broken := engine(rev), engine(authn.NewRevocations(down, ttl))

	// Tokens issued now: the middleware verifies against the wall clock.
	valid := sign(t, s, "u1", "s1", time.Now())
	expired := sign(t, s, "u1", "s1", time.Now().Add(-ttl-time.Minute))
	revoked := sign(t, s, "u2", "s-revoked", time.Now())
	if err := rev.Revoke(t.Context(), "s-revoked"); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name      string
		e         *gin.Engine
		auth      string
		status    int
		body      string // exact for 200, problem detail otherwise
		challenge string // WWW-Authenticate prefix
	}{
		{"valid", up, "Bearer " + valid, 200, "u1/s1", ""},
		{"scheme is case-insensitive", up, "bEaReR " + valid, 200, "u1/s1", ""},
		{"missing header", up, "", 401, "missing bearer token", "Bearer"},
		{"other scheme", up, "Basic dTpw", 401, "missing bearer token", "Bearer"},
		{"garbage token", up, "Bearer nope", 401, "invalid access token", `Bearer error="invalid_token"`},
		{"expired", up, "Bearer " + expired, 401, "access token expired", `Bearer error="invalid_token"`},
		{"revoked", up, "Bearer " + revoked, 401, "session revoked", `Bearer error="invalid_token"`},
		{"redis down", broken, "Bearer " + valid, 503, "", ""},
		{"nothing to check before verifying", broken, "Bearer nope", 401, "invalid access token", `Bearer error="invalid_token"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/me", nil)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			w := httptest.NewRecorder()
			tt.e.ServeHTTP(w, req)

			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d (body %s)", w.Code, tt.status, w.Body)
			}
			if tt.status == http.StatusOK {
				if w.Body.String() != tt.body {
					t.Errorf("body = %q, want %q", w.Body, tt.body)
				}
				return
			}
			if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
				t.Errorf("Content-Type = %q", ct)
			}
			var p struct {
				Status int    `json:"status"`
				Detail string `json:"detail"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
				t.Fatalf("problem body: %v (%s)", err, w.Body)
			}
			if p.Status != tt.status || (tt.body != "" && p.Detail != tt.body) {
				t.Errorf("problem = %+v, want status %d detail %q", p, tt.status, tt.body)
			}
			if got := w.Header().Get("WWW-Authenticate"); !strings.HasPrefix(got, tt.challenge) || (tt.challenge == "") != (got == "") {
				t.Errorf("WWW-Authenticate = %q, want prefix %q", got, tt.challenge)
			}
		})
	}
}
