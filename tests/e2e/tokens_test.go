package e2e

import (
	"net/http"
	"testing"

	"github.com/chatforge/chat/tests/e2e/harness"
)

func testRefreshRotation(t *testing.T, s *harness.Stack) {
	c := s.Client(t)
	a := s.Register(t, c)

	res := refresh(c, a.RefreshToken)
	expect(t, res, http.StatusOK, "first refresh")
	var p1 tokenPair
	res.JSON(t, &p1)
	if p1.TokenType != "Bearer" || p1.ExpiresIn <= 0 {
		t.Errorf("refresh answer %s", res.Body)
	}
	if p1.RefreshToken == a.RefreshToken || p1.AccessToken == a.AccessToken {
		t.Fatalf("refresh returned the same tokens")
	}
	// The new pair belongs to the same session and user.
	_, claims := harness.DecodeJWT(t, p1.AccessToken)
	if claims["sid"] != a.SessionID || claims["sub"] != a.ID {
		t.Errorf("refreshed token sid/sub = %v/%v, want %s/%s", claims["sid"], claims["sub"], a.SessionID, a.ID)
	}
	if u := profile(t, c, p1.AccessToken); u.ID != a.ID {
		t.Errorf("profile with refreshed token: id %s", u.ID)
	}
	// The rotated token rotates again.
	res = refresh(c, p1.RefreshToken)
	expect(t, res, http.StatusOK, "second refresh")
	var p2 tokenPair
	res.JSON(t, &p2)
	profile(t, c, p2.AccessToken)

	// Garbage and empty tokens are plain 401 / 422, not 500.
	expect(t, refresh(c, "not-a-refresh-token"), http.StatusUnauthorized, "garbage refresh token")
	res = refresh(c, "")
	if res.Status != http.StatusUnprocessableEntity && res.Status != http.StatusUnauthorized {
		t.Errorf("empty refresh token: %s, want 422 or 401", res)
	}
}

func testRefreshReuse(t *testing.T, s *harness.Stack) {
	c := s.Client(t)
	a := s.Register(t, c)
	other := s.Login(t, c, a.Email, a.Password) // another session, must survive

	res := refresh(c, a.RefreshToken)
	expect(t, res, http.StatusOK, "refresh")
	var p1 tokenPair
	res.JSON(t, &p1)
	res = refresh(c, p1.RefreshToken)
	expect(t, res, http.StatusOK, "refresh of the new token")
	var p2 tokenPair
	res.JSON(t, &p2)

	// Replaying the spent first token: 401, and the whole session dies.
	expect(t, refresh(c, a.RefreshToken), http.StatusUnauthorized, "reuse of a spent refresh token")
	expect(t, refresh(c, p2.RefreshToken), http.StatusUnauthorized, "newest refresh token after reuse")
	expectUnauthorized(t, c, p2.AccessToken, "newest access token after reuse")
	expectUnauthorized(t, c, a.AccessToken, "first access token after reuse")

	// Other sessions of the user are not affected.
	profile(t, c, other.AccessToken)
	expect(t, refresh(c, other.RefreshToken), http.StatusOK, "refresh of another session")
}

func testLogout(t *testing.T, s *harness.Stack) {
	c := s.Client(t)
	a := s.Register(t, c)
	other := s.Login(t, c, a.Email, a.Password)
	profile(t, c, a.AccessToken)

	expect(t, c.Do(http.MethodPost, "/api/auth/logout", nil, a.AccessToken), http.StatusNoContent, "logout")
	// The access token is dead at once, well before it expires.
	expectUnauthorized(t, c, a.AccessToken, "access token after logout")
	expect(t, refresh(c, a.RefreshToken), http.StatusUnauthorized, "refresh token after logout")
	expect(t, c.Do(http.MethodPost, "/api/auth/logout", nil, a.AccessToken), http.StatusUnauthorized, "second logout")
	// Only that session ended.
	profile(t, c, other.AccessToken)
}
