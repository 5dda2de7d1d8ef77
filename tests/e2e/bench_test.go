package e2e

import (
	"net/http"
	"testing"

	"github.com/chatforge/chat/tests/e2e/harness"
)

// The benchmarks measure whole HTTP round trips against one started api,
// with the harness's cheap password hash (so Login measures the request
// path, not argon2 at production cost) and OpenAPI checks off. Rate limits
// are the harness's high defaults. Each starts its own stack once: b.Loop
// runs the setup a single time.

func benchStack(b *testing.B) (*harness.Stack, *harness.Client, harness.Account) {
	b.Helper()
	if testing.Short() {
		b.Skip("starts processes; skipped with -short")
	}
	s := harness.NewStack(b, harness.Options{})
	c := s.Client(b)
	a := s.Register(b, c)
	return s, c.Unchecked(), a
}

func BenchmarkLogin(b *testing.B) {
	_, c, a := benchStack(b)
	body := map[string]string{"email": a.Email, "password": a.Password}
	for b.Loop() {
		if res := c.Do(http.MethodPost, "/api/auth/login", body, ""); res.Status != http.StatusOK {
			b.Fatalf("login: %s", res)
		}
	}
}

func BenchmarkRefresh(b *testing.B) {
	_, c, a := benchStack(b)
	token := a.RefreshToken
	for b.Loop() {
		res := c.Do(http.MethodPost, "/api/auth/refresh", map[string]string{"refreshToken": token}, "")
		if res.Status != http.StatusOK {
			b.Fatalf("refresh: %s", res)
		}
		var p tokenPair
		res.JSON(b, &p)
		token = p.RefreshToken
	}
}

func BenchmarkAuthenticatedGet(b *testing.B) {
	_, c, a := benchStack(b)
	for b.Loop() {
		if res := c.Do(http.MethodGet, "/api/user/profile", nil, a.AccessToken); res.Status != http.StatusOK {
			b.Fatalf("profile: %s", res)
		}
	}
}
