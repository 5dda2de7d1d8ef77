package e2e

import (
	"bytes"
	"crypto/rsa"
	"encoding/base64"
	"math/big"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/chatforge/chat/apps/api/openapi"
	"github.com/chatforge/chat/tests/e2e/harness"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// testRequestID: X-Request-ID is echoed when valid, generated otherwise, and
// problem documents carry the same ID.
func testRequestID(t *testing.T, s *harness.Stack) {
	c := s.Client(t)
	const mine = "e2e-req-0123456789"
	res := c.Do(http.MethodGet, "/healthz", nil, "", http.Header{"X-Request-ID": {mine}})
	if got := res.Header.Get("X-Request-ID"); got != mine {
		t.Errorf("sent X-Request-ID %q, got back %q", mine, got)
	}
	res = c.Do(http.MethodGet, "/healthz", nil, "")
	gen := res.Header.Get("X-Request-ID")
	if !uuidRE.MatchString(gen) {
		t.Errorf("generated X-Request-ID %q is not a UUID", gen)
	}
	if again := c.Do(http.MethodGet, "/healthz", nil, "").Header.Get("X-Request-ID"); again == gen {
		t.Errorf("two requests got the same generated ID %q", gen)
	}
	// Too long IDs are replaced, not echoed.
	for _, bad := range []string{strings.Repeat("a", 129)} {
		got := c.Do(http.MethodGet, "/healthz", nil, "", http.Header{"X-Request-ID": {bad}}).Header.Get("X-Request-ID")
		if got == bad || !uuidRE.MatchString(got) {
			t.Errorf("X-Request-ID %q answered with %q, want a fresh UUID", bad, got)
		}
	}
	// The problem document carries the caller's ID.
	res = c.Do(http.MethodGet, "/api/user/profile", nil, "", http.Header{"X-Request-ID": {mine}})
	expect(t, res, http.StatusUnauthorized, "profile without token")
	if p := res.Problem(t); p.RequestID != mine {
		t.Errorf("problem requestId %q, want %q", p.RequestID, mine)
	}
}

// testSecurityHeaders: browser hardening headers on API answers.
func testSecurityHeaders(t *testing.T, s *harness.Stack) {
	c := s.Client(t)
	for _, path := range []string{"/healthz", "/api/user/profile", "/api/nope"} {
		res := c.Do(http.MethodGet, path, nil, "")
		for h, want := range map[string]string{
			"X-Content-Type-Options": "nosniff",
			"X-Frame-Options":        "DENY",
			"Referrer-Policy":        "no-referrer",
		} {
			if got := res.Header.Get(h); !strings.EqualFold(got, want) {
				t.Errorf("%s: %s = %q, want %q", path, h, got, want)
			}
		}
		if res.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("%s: no Content-Security-Policy", path)
		}
		if srv := res.Header.Get("Server"); srv != "" {
			t.Errorf("%s: Server header %q reveals the stack", path, srv)
		}
	}
}

// testCORS: preflights from the allowed origin succeed and name the
// methods and headers; other origins get no CORS grant.
func testCORS(t *testing.T, s *harness.Stack) {
	c := s.Client(t)
	preflight := func(origin string) *harness.Response {
		return c.Do(http.MethodOptions, "/api/auth/login", nil, "", http.Header{
			"Origin":                         {origin},
			"Access-Control-Request-Method":  {"POST"},
			"Access-Control-Request-Headers": {"content-type,authorization,x-request-id"},
		})
	}
	res := preflight(harness.AllowedOrigin)
	if res.Status != http.StatusNoContent && res.Status != http.StatusOK {
		t.Fatalf("preflight from the allowed origin: %s", res)
	}
	if got := res.Header.Get("Access-Control-Allow-Origin"); got != harness.AllowedOrigin {
		t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, harness.AllowedOrigin)
	}
	if m := strings.ToUpper(res.Header.Get("Access-Control-Allow-Methods")); !strings.Contains(m, "POST") {
		t.Errorf("Access-Control-Allow-Methods = %q, want POST in it", m)
	}
	ah := strings.ToLower(res.Header.Get("Access-Control-Allow-Headers"))
	for _, h := range []string{"content-type", "authorization"} {
		if !strings.Contains(ah, h) {
			t.Errorf("Access-Control-Allow-Headers = %q, want %s in it", ah, h)
		}
	}

	res = preflight("https://evil.example")
	if got := res.Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("preflight from a foreign origin granted %q", got)
	}

	// A simple request from the allowed origin gets the grant, and the
	// browser may read X-Request-ID.
	res = c.Do(http.MethodGet, "/healthz", nil, "", http.Header{"Origin": {harness.AllowedOrigin}})
	if got := res.Header.Get("Access-Control-Allow-Origin"); got != harness.AllowedOrigin {
		t.Errorf("GET with Origin: Access-Control-Allow-Origin = %q", got)
	}
	if eh := strings.ToLower(res.Header.Get("Access-Control-Expose-Headers")); !strings.Contains(eh, "x-request-id") {
		t.Errorf("Access-Control-Expose-Headers = %q, want x-request-id in it", eh)
	}
}

// testOps: health, readiness, metrics and the OpenAPI document.
func testOps(t *testing.T, s *harness.Stack) {
	c := s.Client(t)
	res := c.Do(http.MethodGet, "/healthz", nil, "")
	expect(t, res, http.StatusOK, "healthz")

	res = c.Do(http.MethodGet, "/readyz", nil, "")
	expect(t, res, http.StatusOK, "readyz")
	var ready struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	res.JSON(t, &ready)
	if ready.Status != "ok" || ready.Checks["postgres"] != "ok" || ready.Checks["redis"] != "ok" {
		t.Errorf("readyz = %s", res.Body)
	}

	// Make sure a known route was served, then look for its series.
	expect(t, login(c, harness.UniqueEmail("metrics"), "password-x"), http.StatusUnauthorized, "login")
	res = c.Do(http.MethodGet, "/metrics", nil, "")
	expect(t, res, http.StatusOK, "metrics")
	body := string(res.Body)
	for _, want := range []string{
		"http_requests_total{",
		`route="/api/auth/login"`,
		"http_request_duration_seconds_bucket{",
		"go_goroutines",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// Unmatched paths must not create one series per path (cardinality).
	c.Do(http.MethodGet, "/api/nope-"+uuid.NewString(), nil, "")
	if strings.Contains(string(c.Do(http.MethodGet, "/metrics", nil, "").Body), "/api/nope-") {
		t.Error("/metrics has a series labelled with a raw unmatched path")
	}

	res = c.Do(http.MethodGet, "/openapi.yaml", nil, "")
	expect(t, res, http.StatusOK, "openapi.yaml")
	if !bytes.Equal(res.Body, openapi.Spec) {
		t.Error("/openapi.yaml differs from apps/api/openapi/openapi.yaml")
	}
}

// testJWKS: the published key verifies access tokens, found by their kid.
func testJWKS(t *testing.T, s *harness.Stack) {
	c := s.Client(t)
	a := s.Register(t, c)
	res := c.Do(http.MethodGet, "/.well-known/jwks.json", nil, "")
	expect(t, res, http.StatusOK, "jwks")
	var set struct {
		Keys []struct{ Kty, N, E, Kid, Alg, Use string }
	}
	res.JSON(t, &set)
	hdr, _ := harness.DecodeJWT(t, a.AccessToken)
	if hdr["alg"] != "RS256" {
		t.Errorf("token alg = %v, want RS256", hdr["alg"])
	}
	var pub *rsa.PublicKey
	for _, k := range set.Keys {
		if k.Kid == hdr["kid"] {
			n, err1 := base64.RawURLEncoding.DecodeString(k.N)
			e, err2 := base64.RawURLEncoding.DecodeString(k.E)
			if err1 != nil || err2 != nil {
				t.Fatalf("JWK n/e not base64url: %v %v", err1, err2)
			}
			pub = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		}
	}
	if pub == nil {
		t.Fatalf("no JWK with the token's kid %v in %s", hdr["kid"], res.Body)
	}
	if pub.N.BitLen() < 2048 {
		t.Errorf("signing key has %d bits", pub.N.BitLen())
	}
	tok, err := jwt.Parse(a.AccessToken, func(*jwt.Token) (any, error) { return pub, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithLeeway(time.Minute))
	if err != nil || !tok.Valid {
		t.Errorf("access token does not verify with the published key: %v", err)
	}
}
