package httpapi_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chatforge/chat/modules/identity/identitytest"
	"github.com/chatforge/chat/modules/identity/internal/ports/httpapi"
	"github.com/chatforge/chat/platform/config"
	"github.com/chatforge/chat/platform/ratelimit"
	"github.com/chatforge/chat/platform/redisconn"
	"github.com/chatforge/chat/platform/testenv"
)

func TestProfileAndPassword(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil, httpapi.Limits{}, nil)
	lb := s.account("a@example.com")

	s.want(s.do("GET", "/api/user/profile", nil, ""), 401)
	r := s.do("GET", "/api/user/profile", nil, lb.AccessToken)
	s.want(r, 200)
	var prof map[string]any
	r.json(&prof)
	if prof["id"] != lb.User.ID || prof["email"] != "a@example.com" || len(prof) != 7 {
		t.Fatalf("profile = %v", prof)
	}
	r = s.do("PUT", "/api/user/profile", map[string]string{"displayName": "Grace"}, lb.AccessToken)
	s.want(r, 200)
	r.json(&prof)
	if prof["displayName"] != "Grace" {
		t.Fatalf("profile = %v", prof)
	}

	p := s.do("PUT", "/api/user/password", map[string]string{"currentPassword": "wrong-password", "newPassword": "brand-new-pw"}, lb.AccessToken)
	s.want(p, 422)
	if e := p.problem().Errors; len(e) != 1 || e[0].Field != "currentPassword" || e[0].Message != "is incorrect" {
		t.Fatalf("errors = %+v", e)
	}
	s.want(s.do("PUT", "/api/user/password", map[string]string{"currentPassword": pw, "newPassword": "brand-new-pw"}, lb.AccessToken), 204)
}

func TestSessionsRoutes(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil, httpapi.Limits{}, nil)
	lb := s.account("a@example.com")
	other := s.account("b@example.com")

	r := s.do("GET", "/api/user/sessions", nil, lb.AccessToken)
	s.want(r, 200)
	var list []map[string]any
	r.json(&list)
	if len(list) != 1 || list[0]["current"] != true || list[0]["userAgent"] != "httpapi-test" || list[0]["ip"] == "" || list[0]["deviceName"] != "" || len(list[0]) != 7 {
		t.Fatalf("sessions = %v", list)
	}
	s.want(s.do("DELETE", "/api/user/sessions/not-a-uuid", nil, lb.AccessToken), 400)
	s.want(s.do("DELETE", "/api/user/sessions/"+uuid.NewString(), nil, lb.AccessToken), 404)

	var theirs []map[string]any
	s.do("GET", "/api/user/sessions", nil, other.AccessToken).json(&theirs)
	s.want(s.do("DELETE", "/api/user/sessions/"+theirs[0]["id"].(string), nil, lb.AccessToken), 404)
	s.want(s.do("DELETE", "/api/user/sessions/"+list[0]["id"].(string), nil, lb.AccessToken), 204)
}

func TestUnexpectedErrorIsPlain500(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil, httpapi.Limits{}, failingStore{identitytest.NewStore()})
	s.want(s.do("POST", "/api/auth/register", map[string]string{"email": "a@example.com", "password": pw, "displayName": "A"}, ""), 201)
	r := s.do("POST", "/api/auth/login", map[string]string{"email": "a@example.com", "password": pw}, "")
	s.want(r, 200)
	var lb loginBody
	r.json(&lb)
	p := s.do("GET", "/api/user/profile", nil, lb.AccessToken)
	s.want(p, 500)
	if d := p.problem().Detail; d != "Internal Server Error" {
		t.Fatalf("a 500 must not leak details: %q", d)
	}
}

func TestPerAccountLimit(t *testing.T) {
	t.Parallel()
	rdb, err := redisconn.Open(context.Background(), config.Redis{URL: testenv.Redis(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	limits := httpapi.Limits{PerAccount: ratelimit.Limit{Rate: 2, Period: time.Hour, Burst: 2}}
	s := newServer(t, ratelimit.New(rdb, nil), limits, nil)

	for _, email := range []string{"a@example.com", " A@EXAMPLE.com"} {
		s.want(s.do("POST", "/api/auth/password/forgot", map[string]string{"email": email}, ""), 202)
	}
	r := s.do("POST", "/api/auth/password/forgot", map[string]string{"email": "a@example.COM"}, "")
	s.want(r, 429)
	if sec, err := strconv.Atoi(r.Header().Get("Retry-After")); err != nil || sec < 1 {
		t.Fatalf("Retry-After %q", r.Header().Get("Retry-After"))
	}
	// Another account is not affected.
	s.want(s.do("POST", "/api/auth/password/forgot", map[string]string{"email": "b@example.com"}, ""), 202)
}

// TestLoginFailuresCannotLockTheOwnerOut: an address guessing an account's
// password is refused after a few failures, and once the account-wide
// failure budget is spent too, the owner logging in with the right
// password from another address still gets in; successes spend nothing.
func TestLoginFailuresCannotLockTheOwnerOut(t *testing.T) {
	t.Parallel()
	rdb, err := redisconn.Open(context.Background(), config.Redis{URL: testenv.Redis(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	limits := httpapi.Limits{
		PerAccount:              ratelimit.Limit{Rate: 100, Period: time.Hour, Burst: 100},
		LoginFailuresPerAddress: ratelimit.Limit{Rate: 3, Period: time.Minute, Burst: 3},
		LoginFailuresPerAccount: ratelimit.Limit{Rate: 5, Period: time.Hour, Burst: 5},
	}
	s := newServer(t, ratelimit.New(rdb, nil), limits, nil)
	s.account("owner@example.com")
	wrong := map[string]string{"email": "owner@example.com", "password": "not-the-password"}
	right := map[string]string{"email": "OWNER@example.com", "password": pw}
	const attacker, other, owner = "198.51.100.7:4000", "198.51.100.8:4000", "203.0.113.5:5000"

	for range 3 {
		s.want(s.doFrom(attacker, "POST", "/api/auth/login", wrong, ""), 401)
	}
	r := s.doFrom(attacker, "POST", "/api/auth/login", wrong, "")
	s.want(r, 429)
	if sec, err := strconv.Atoi(r.Header().Get("Retry-After")); err != nil || sec < 1 || sec > 60 {
		t.Fatalf("Retry-After %q, want 1..60", r.Header().Get("Retry-After"))
	}
	// Even the right password from the guessing address waits.
	s.want(s.doFrom(attacker, "POST", "/api/auth/login", right, ""), 429)
	// A second address spends the rest of the account-wide budget (5)...
	for range 2 {
		s.want(s.doFrom(other, "POST", "/api/auth/login", wrong, ""), 401)
	}
	s.want(s.doFrom(other, "POST", "/api/auth/login", wrong, ""), 429)
	// ...and the owner, from an address that has not failed, gets in, as
	// many times as they like.
	for range 10 {
		s.want(s.doFrom(owner, "POST", "/api/auth/login", right, ""), 200)
	}
}
