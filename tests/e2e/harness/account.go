package harness

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// Account is a registered user signed in once (one session).
type Account struct {
	ID, Email, Password, AccessToken, RefreshToken, SessionID string
}

// Register creates a user with a unique email and signs it in.
func (s *Stack) Register(t testing.TB, c *Client) Account {
	t.Helper()
	email, password := UniqueEmail("user"), "pw-"+randHex(8)
	res := c.Do(http.MethodPost, "/api/auth/register", map[string]string{
		"email": email, "password": password, "displayName": "E2E " + email[:8],
	}, "")
	if res.Status != http.StatusCreated {
		t.Fatalf("register %s: %s", email, res)
	}
	var reg struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	res.JSON(t, &reg)
	a := s.Login(t, c, email, password)
	if a.ID != reg.User.ID {
		t.Fatalf("login user id %q, registered %q", a.ID, reg.User.ID)
	}
	return a
}

// Login signs an existing user in, opening a new session.
func (s *Stack) Login(t testing.TB, c *Client, email, password string) Account {
	t.Helper()
	res := c.Do(http.MethodPost, "/api/auth/login", map[string]string{"email": email, "password": password}, "")
	if res.Status != http.StatusOK {
		t.Fatalf("login %s: %s", email, res)
	}
	var l struct {
		AccessToken  string `json:"accessToken"`
		RefreshToken string `json:"refreshToken"`
		User         struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	res.JSON(t, &l)
	_, claims := DecodeJWT(t, l.AccessToken)
	sid, _ := claims["sid"].(string)
	if sid == "" {
		t.Fatalf("access token without sid claim: %v", claims)
	}
	return Account{
		ID: l.User.ID, Email: email, Password: password,
		AccessToken: l.AccessToken, RefreshToken: l.RefreshToken, SessionID: sid,
	}
}

// UniqueEmail returns an address no other call returns, e.g.
// "user-3f9a0c1d2e4b5a69@e2e.example.com".
func UniqueEmail(prefix string) string {
	return prefix + "-" + randHex(8) + "@e2e.example.com"
}

// DecodeJWT returns a token's header and claims without verifying it.
func DecodeJWT(t testing.TB, token string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	decode := func(s string) map[string]any {
		raw, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("JWT segment %q: %v", s, err)
		}
		m := map[string]any{}
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("JWT segment %s: %v", raw, err)
		}
		return m
	}
	return decode(parts[0]), decode(parts[1])
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
