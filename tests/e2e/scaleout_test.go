package e2e

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/chatforge/chat/tests/e2e/harness"
)

// TestTwoAPIs runs two api processes on one database and Redis: tokens,
// refreshes and revocations made through one hold on the other, and a
// restarted process picks up where it left.
func TestTwoAPIs(t *testing.T) {
	s := harness.NewStack(t, harness.Options{APIs: 2})
	c := s.Client(t)
	c0, c1 := c.Pin(s.APIs[0]), c.Pin(s.APIs[1])

	a := s.Register(t, c0)
	if u := profile(t, c1, a.AccessToken); u.ID != a.ID {
		t.Fatalf("api-1 sees user %s, want %s", u.ID, a.ID)
	}
	j0 := c0.Do(http.MethodGet, "/.well-known/jwks.json", nil, "")
	j1 := c1.Do(http.MethodGet, "/.well-known/jwks.json", nil, "")
	if !bytes.Equal(j0.Body, j1.Body) {
		t.Errorf("JWKS differ:\n%s\n%s", j0.Body, j1.Body)
	}

	// Refresh on api-1, use on api-0; replay on api-0 kills it everywhere.
	res := refresh(c1, a.RefreshToken)
	expect(t, res, http.StatusOK, "refresh on api-1")
	var p tokenPair
	res.JSON(t, &p)
	profile(t, c0, p.AccessToken)
	expect(t, refresh(c0, a.RefreshToken), http.StatusUnauthorized, "replay on api-0")
	expectUnauthorizedSoon(t, c1, p.AccessToken, "access token on api-1 after reuse detected on api-0")

	// Logout on api-0 is seen by api-1 as soon as its announcement arrives.
	b := s.Login(t, c1, a.Email, a.Password)
	profile(t, c0, b.AccessToken)
	expect(t, c0.Do(http.MethodPost, "/api/auth/logout", nil, b.AccessToken), http.StatusNoContent, "logout on api-0")
	expectUnauthorizedSoon(t, c1, b.AccessToken, "api-1 after logout on api-0")

	// Stop api-0: the round-robin client keeps working through api-1.
	d := s.Login(t, c, a.Email, a.Password)
	s.APIs[0].Stop()
	if s.APIs[0].Running() {
		t.Fatal("api-0 still running after Stop")
	}
	for range 4 {
		profile(t, c, d.AccessToken)
	}
	// Restarted, it serves the same users and tokens (shared key and state).
	s.APIs[0].Restart(t)
	profile(t, c0, d.AccessToken)
	expect(t, refresh(c0, d.RefreshToken), http.StatusOK, "refresh on restarted api-0")

	// A killed process loses nothing committed either.
	s.APIs[1].Kill()
	expect(t, login(c0, a.Email, a.Password), http.StatusOK, "login on api-0 with api-1 killed")
	s.APIs[1].Restart(t)
	profile(t, c1, d.AccessToken)
}
