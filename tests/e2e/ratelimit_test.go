package e2e

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/chatforge/chat/tests/e2e/harness"
)

// TestLimits runs against an api with tiny limits (per minute, burst equal
// to the rate): 5 auth requests per IP, 2 register/forgot per account
// (logins are limited by their failures: login_failures_test.go), 4 authenticated
// requests per user, and a 256-byte body limit. Sequential and exact: every
// request counts, and a minute is far longer than the test.
func TestLimits(t *testing.T) {
	s := harness.NewStack(t, harness.Options{Env: map[string]string{
		"RATE_LIMIT_AUTH_IP":      "5",
		"RATE_LIMIT_AUTH_ACCOUNT": "2",
		"RATE_LIMIT_USER":         "4",
		"HTTP_BODY_LIMIT":         "256",
	}})
	c := s.Client(t)
	a := s.Register(t, c) // register + login: IP 2/5, account 1/2

	// A body over HTTP_BODY_LIMIT is refused (before or after the user's
	// limit is charged: both are fine).
	res := c.Do(http.MethodPut, "/api/user/profile",
		`{"displayName":"`+strings.Repeat("x", 300)+`"}`, a.AccessToken)
	expect(t, res, http.StatusRequestEntityTooLarge, "body over HTTP_BODY_LIMIT")
	// Per user (4): the 5th authenticated request within the minute is
	// refused (the 4th, had the 413 been charged).
	limitedAt := 0
	for i := 1; i <= 5; i++ {
		res = c.Do(http.MethodGet, "/api/user/profile", nil, a.AccessToken)
		if res.Status == http.StatusTooManyRequests {
			limitedAt = i
			break
		}
		expect(t, res, http.StatusOK, "request within the user's limit")
	}
	if limitedAt != 4 && limitedAt != 5 {
		t.Fatalf("user limited at GET #%d after the 413, want #4 or #5 with RATE_LIMIT_USER=4", limitedAt)
	}
	expectRetryAfter(t, res, "request over the user's limit")

	// Per account (2): the second request on a's address passes, the third
	// is refused whatever the case of the address.
	expect(t, c.Do(http.MethodPost, "/api/auth/password/forgot", map[string]string{"email": a.Email}, ""),
		http.StatusAccepted, "2nd request on the account") // IP 3/5
	res = c.Do(http.MethodPost, "/api/auth/password/forgot", map[string]string{"email": strings.ToUpper(a.Email)}, "") // IP 4/5
	expectRetryAfter(t, res, "3rd request on the account")
	if p := res.Problem(t); !strings.Contains(p.Detail, "account") {
		t.Errorf("per-account 429 detail %q should say it is the account's limit", p.Detail)
	}

	// Per IP (5): another account still has budget, the IP then has none.
	expect(t, login(c, harness.UniqueEmail("other"), "wrong-password"), http.StatusUnauthorized, "5th auth request of the IP")
	expectRetryAfter(t, login(c, harness.UniqueEmail("other"), "wrong-password"), "6th auth request of the IP")
	// Other auth endpoints share the budget, and a client address claimed
	// in headers by an untrusted peer does not open a new one.
	expectRetryAfter(t, c.Do(http.MethodPost, "/api/auth/password/forgot", map[string]string{"email": a.Email}, ""),
		"forgot after the IP limit")
	res = c.Do(http.MethodPost, "/api/auth/login", map[string]string{"email": "x@e2e.example.com", "password": "password"}, "",
		http.Header{"X-Forwarded-For": {"203.0.113.7"}, "X-Real-IP": {"203.0.113.7"}})
	expectRetryAfter(t, res, "login with a spoofed X-Forwarded-For")
}

func expectRetryAfter(t *testing.T, res *harness.Response, what string) {
	t.Helper()
	expect(t, res, http.StatusTooManyRequests, what)
	ra, err := strconv.Atoi(res.Header.Get("Retry-After"))
	if err != nil || ra < 1 || ra > 60 {
		t.Errorf("%s: Retry-After %q, want whole seconds in 1..60", what, res.Header.Get("Retry-After"))
	}
	if p := res.Problem(t); p.Status != http.StatusTooManyRequests || p.Detail == "" {
		t.Errorf("%s: problem %+v", what, p)
	}
}
