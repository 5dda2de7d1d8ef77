// Package e2e holds black-box tests that build the binaries, start them as
// processes against a real PostgreSQL and Redis (see tests/e2e/harness) and
// speak to them only over HTTP.
package e2e

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/chatforge/chat/tests/e2e/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

// Task types and queue of the identity e-mails (contract: modules/identity).
const (
	mailQueue         = "critical"
	taskVerifyEmail   = "email:verify"
	taskPasswordReset = "email:password_reset"
	// taskPasswordForgot: the api's forgot-password request, resolved by
	// the worker.
	taskPasswordForgot = "identity:password_forgot"
)

// mailPayload is the payload of both e-mail task types.
type mailPayload struct {
	UserID      string `json:"userId"`
	Email       string `json:"email"`
	DisplayName string `json:"displayName"`
	Token       string `json:"token"`
	Link        string `json:"link"`
}

// mails returns the queued e-mails of type taskType sent to email, oldest
// unknown: order is not guaranteed.
func mails(t *testing.T, s *harness.Stack, taskType, email string) []mailPayload {
	t.Helper()
	var out []mailPayload
	for _, raw := range s.Tasks(t, mailQueue, taskType) {
		var p mailPayload
		if err := json.Unmarshal(raw, &p); err != nil {
			t.Fatalf("%s payload %s: %v", taskType, raw, err)
		}
		if p.Email == email {
			out = append(out, p)
		}
	}
	return out
}

// oneMail returns the single queued e-mail of type taskType sent to email.
func oneMail(t *testing.T, s *harness.Stack, taskType, email string) mailPayload {
	t.Helper()
	ms := mails(t, s, taskType, email)
	if len(ms) != 1 {
		t.Fatalf("%d %q tasks for %s, want 1: %+v", len(ms), taskType, email, ms)
	}
	return ms[0]
}

// user is the User schema.
type user struct {
	ID            string `json:"id"`
	Email         string `json:"email"`
	DisplayName   string `json:"displayName"`
	EmailVerified bool   `json:"emailVerified"`
	CreatedAt     string `json:"createdAt"`
	UpdatedAt     string `json:"updatedAt"`
}

// tokenPair is the TokenPair schema.
type tokenPair struct {
	AccessToken  string `json:"accessToken"`
	RefreshToken string `json:"refreshToken"`
	TokenType    string `json:"tokenType"`
	ExpiresIn    int    `json:"expiresIn"`
}

// session is the Session schema.
type session struct {
	ID         string `json:"id"`
	UserAgent  string `json:"userAgent"`
	IP         string `json:"ip"`
	CreatedAt  string `json:"createdAt"`
	LastUsedAt string `json:"lastUsedAt"`
	Current    bool   `json:"current"`
}

// expect fails the test unless res has the given status.
func expect(t *testing.T, res *harness.Response, status int, what string) {
	t.Helper()
	if res.Status != status {
		t.Fatalf("%s: got %s, want %d", what, res, status)
	}
}

// profile fetches the caller's profile, failing unless it answers 200.
func profile(t *testing.T, c *harness.Client, token string) user {
	t.Helper()
	res := c.Do(http.MethodGet, "/api/user/profile", nil, token)
	expect(t, res, http.StatusOK, "GET /api/user/profile")
	var u user
	res.JSON(t, &u)
	return u
}

// expectUnauthorized checks that token no longer opens /api/user/profile.
func expectUnauthorized(t *testing.T, c *harness.Client, token, what string) {
	t.Helper()
	res := c.Do(http.MethodGet, "/api/user/profile", nil, token)
	expect(t, res, http.StatusUnauthorized, what)
}

// expectUnauthorizedSoon is expectUnauthorized on another instance than the
// one that revoked: the revocation reaches it with its pub/sub message (the
// in-memory mirror, README "Operations"), so within milliseconds, not in the
// same instant. It allows a second.
func expectUnauthorizedSoon(t *testing.T, c *harness.Client, token, what string) {
	t.Helper()
	eventually(t, time.Second, what+": 401", func() bool {
		return c.Do(http.MethodGet, "/api/user/profile", nil, token).Status == http.StatusUnauthorized
	})
}

// refresh rotates a refresh token and returns the answer.
func refresh(c *harness.Client, token string) *harness.Response {
	return c.Do(http.MethodPost, "/api/auth/refresh", map[string]string{"refreshToken": token}, "")
}

// login posts credentials and returns the answer.
func login(c *harness.Client, email, password string) *harness.Response {
	return c.Do(http.MethodPost, "/api/auth/login", map[string]string{"email": email, "password": password}, "")
}

// fieldsOf lists the fields named in a problem's errors, sorted.
func fieldsOf(p harness.Problem) []string {
	var fs []string
	for _, e := range p.Errors {
		fs = append(fs, e.Field)
	}
	slices.Sort(fs)
	return fs
}
