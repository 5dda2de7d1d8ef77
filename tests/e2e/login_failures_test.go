package e2e

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/chatforge/chat/tests/e2e/harness"
)

// TestLoginFailuresCannotLockTheOwnerOut: an address guessing a password
// is refused after RATE_LIMIT_LOGIN_FAILURES failures; the owner logging in
// from another address with the right password still gets in (before this
// scheme, five wrong passwords from anywhere locked the account). Client
// addresses come from X-Forwarded-For, trusted from the test's loopback.
func TestLoginFailuresCannotLockTheOwnerOut(t *testing.T) {
	s := harness.NewStack(t, harness.Options{Env: map[string]string{
		"TRUSTED_PROXIES":                   "127.0.0.1",
		"RATE_LIMIT_LOGIN_FAILURES":         "3",
		"RATE_LIMIT_LOGIN_ACCOUNT_FAILURES": "4",
	}})
	c := s.Client(t)
	a := s.Register(t, c)
	from := func(ip, password string) *harness.Response {
		return c.Do(http.MethodPost, "/api/auth/login", map[string]string{"email": a.Email, "password": password}, "",
			http.Header{"X-Forwarded-For": {ip}})
	}
	const attacker, owner = "198.51.100.7", "203.0.113.5"
	for range 3 {
		expect(t, from(attacker, "wrong-password"), http.StatusUnauthorized, "a wrong password")
	}
	expectRetryAfter(t, from(attacker, "wrong-password"), "a 4th failure from the same address")
	expect(t, from("198.51.100.9", "wrong-password"), http.StatusUnauthorized, "another guessing address") // account 4/4
	// The account-wide budget is per hour: Retry-After may exceed a minute.
	res := from("198.51.100.9", a.Password)
	expect(t, res, http.StatusTooManyRequests, "a failed address once the account budget is spent")
	if ra, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 3600 {
		t.Errorf("Retry-After %q, want whole seconds in 1..3600", res.Header.Get("Retry-After"))
	}
	for range 3 {
		expect(t, from(owner, a.Password), http.StatusOK, "the owner from an address that has not failed")
	}
}
