package e2e

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/chatforge/chat/tests/e2e/harness"
)

// TestHTTPEdge checks what every request meets before the domain: input
// decoding errors, routing, authentication, request IDs, security and CORS
// headers, and the operational endpoints. One api, parallel subtests.
func TestHTTPEdge(t *testing.T) {
	s := harness.NewStack(t, harness.Options{})
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, *harness.Stack)
	}{
		{"BadInput", testBadInput},
		{"MissingFields", testMissingFields},
		{"OversizedBody", testOversizedBody},
		{"Routing", testRouting},
		{"BearerToken", testBearerToken},
		{"RequestID", testRequestID},
		{"SecurityHeaders", testSecurityHeaders},
		{"CORS", testCORS},
		{"Ops", testOps},
		{"JWKS", testJWKS},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, s)
		})
	}
}

// testBadInput: every malformed body is a 4xx problem with a useful detail.
func testBadInput(t *testing.T, s *harness.Stack) {
	c := s.Client(t)
	a := s.Register(t, c)
	for _, tc := range []struct {
		name, method, path, token string
		body                      any
		hdr                       http.Header
		status                    int
		detail                    string // substring of the problem detail (lower case)
	}{
		{"malformed JSON", "POST", "/api/auth/login", "", `{"email": "a@b.c", "password": `, nil, 400, ""},
		{"not an object", "POST", "/api/auth/login", "", `["a@b.c"]`, nil, 400, ""},
		{"two values", "POST", "/api/auth/login", "", `{"email":"a@b.c","password":"x"} {}`, nil, 400, ""},
		{"wrong type", "POST", "/api/auth/login", "", `{"email": 42, "password": "password"}`, nil, 400, "email"},
		{"wrong nested type", "PUT", "/api/user/profile", a.AccessToken, `{"displayName": {"x": 1}}`, nil, 400, "displayname"},
		{"unknown field", "POST", "/api/auth/register", "",
			map[string]any{"email": harness.UniqueEmail("x"), "password": "password-1", "displayName": "X", "isAdmin": true}, nil, 400, "isadmin"},
		{"empty body", "POST", "/api/auth/login", "", "", nil, 400, ""},
		{"text/plain", "POST", "/api/auth/login", "", `{"email":"a@b.c","password":"password"}`,
			http.Header{"Content-Type": {"text/plain"}}, 415, ""},
		{"form", "PUT", "/api/user/profile", a.AccessToken, `displayName=x`,
			http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, 415, ""},
		{"no content type", "POST", "/api/auth/password/forgot", "", `{"email":"a@b.c"}`,
			http.Header{"Content-Type": {""}}, 415, ""},
		{"bad uuid in path", "DELETE", "/api/user/sessions/not-a-uuid", a.AccessToken, nil, nil, 400, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := c.Do(tc.method, tc.path, tc.body, tc.token, tc.hdr)
			expect(t, res, tc.status, tc.name)
			p := res.Problem(t)
			if p.Detail == "" || !strings.Contains(strings.ToLower(p.Detail), tc.detail) {
				t.Errorf("detail %q should name %q", p.Detail, tc.detail)
			}
		})
	}
	// JSON with a charset parameter is still JSON.
	res := c.Do(http.MethodPut, "/api/user/profile", map[string]string{"displayName": "Charset"}, a.AccessToken,
		http.Header{"Content-Type": {"application/json; charset=utf-8"}})
	expect(t, res, http.StatusOK, "application/json; charset=utf-8")
}

// testMissingFields: validation failures list every bad field at once.
func testMissingFields(t *testing.T, s *harness.Stack) {
	c := s.Client(t)
	for _, tc := range []struct {
		path   string
		body   any
		fields []string
	}{
		{"/api/auth/register", map[string]any{}, []string{"displayName", "email", "password"}},
		{"/api/auth/register", map[string]any{"email": "not-an-email", "password": "short", "displayName": "  "},
			[]string{"displayName", "email", "password"}},
		{"/api/auth/login", map[string]any{}, []string{"email", "password"}},
		{"/api/auth/refresh", map[string]any{}, []string{"refreshToken"}},
		{"/api/auth/verify-email", map[string]any{}, []string{"token"}},
		{"/api/auth/password/forgot", map[string]any{}, []string{"email"}},
		{"/api/auth/password/reset", map[string]any{}, []string{"newPassword", "token"}},
	} {
		res := c.Do(http.MethodPost, tc.path, tc.body, "")
		expect(t, res, http.StatusUnprocessableEntity, tc.path)
		p := res.Problem(t)
		if got := fieldsOf(p); !slices.Equal(got, tc.fields) {
			t.Errorf("%s %v: error fields %v, want %v", tc.path, tc.body, got, tc.fields)
		}
		for _, e := range p.Errors {
			if e.Message == "" {
				t.Errorf("%s: field %s without message", tc.path, e.Field)
			}
		}
	}
}

// testOversizedBody: a body over the default 1 MiB limit is refused with 413.
func testOversizedBody(t *testing.T, s *harness.Stack) {
	c := s.Client(t)
	big := `{"email":"a@b.c","password":"` + strings.Repeat("x", 2<<20) + `"}`
	res := c.Do(http.MethodPost, "/api/auth/login", big, "")
	expect(t, res, http.StatusRequestEntityTooLarge, "2 MiB body")
}

// testRouting: unknown paths and methods are problem documents too.
func testRouting(t *testing.T, s *harness.Stack) {
	c := s.Client(t)
	expect(t, c.Do(http.MethodGet, "/api/nope", nil, ""), http.StatusNotFound, "unknown path")
	expect(t, c.Do(http.MethodGet, "/", nil, ""), http.StatusNotFound, "root")
	expect(t, c.Do(http.MethodGet, "/api/auth/login", nil, ""), http.StatusMethodNotAllowed, "GET on a POST route")
	expect(t, c.Do(http.MethodDelete, "/api/user/profile", nil, ""), http.StatusMethodNotAllowed, "DELETE on GET/PUT route")
}

// testBearerToken: every way to present a bad token gets 401 with a
// WWW-Authenticate challenge.
func testBearerToken(t *testing.T, s *harness.Stack) {
	c := s.Client(t)
	a := s.Register(t, c)
	hdr, _ := harness.DecodeJWT(t, a.AccessToken)
	kid, _ := hdr["kid"].(string)

	// Same claims, signed by a key the server does not know, with its kid.
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(a.AccessToken, claims); err != nil {
		t.Fatal(err)
	}
	forged := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	forged.Header["kid"] = kid
	forgedToken, err := forged.SignedString(other)
	if err != nil {
		t.Fatal(err)
	}
	// alg "none" with the real claims.
	none := jwt.NewWithClaims(jwt.SigningMethodNone, claims)
	none.Header["kid"] = kid
	noneToken, err := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	// A real signature over modified claims.
	parts := strings.Split(a.AccessToken, ".")
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"`+uuid.NewString()+`"}`)) + "." + parts[2]

	for name, h := range map[string]http.Header{
		"no header":       nil,
		"empty bearer":    {"Authorization": {"Bearer "}},
		"garbage":         {"Authorization": {"Bearer garbage"}},
		"three garbage":   {"Authorization": {"Bearer abc.def.ghi"}},
		"basic scheme":    {"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("a:b"))}},
		"token no scheme": {"Authorization": {a.AccessToken}},
		"forged key":      {"Authorization": {"Bearer " + forgedToken}},
		"alg none":        {"Authorization": {"Bearer " + noneToken}},
		"tampered claims": {"Authorization": {"Bearer " + tampered}},
	} {
		res := c.Do(http.MethodGet, "/api/user/profile", nil, "", h)
		if res.Status != http.StatusUnauthorized {
			t.Errorf("%s: got %s, want 401", name, res)
			continue
		}
		if !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: WWW-Authenticate %q", name, res.Header.Get("WWW-Authenticate"))
		}
	}
	// The scheme is case-insensitive.
	res := c.Do(http.MethodGet, "/api/user/profile", nil, "", http.Header{"Authorization": {"bearer " + a.AccessToken}})
	expect(t, res, http.StatusOK, "lower-case bearer scheme")
}
