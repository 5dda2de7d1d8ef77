package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chatforge/chat/tests/e2e/harness"
)

// TestIdentity runs the identity flows against one api. The flows use their
// own accounts (unique emails), so they share the stack and run in parallel.
func TestIdentity(t *testing.T) {
	s := harness.NewStack(t, harness.Options{})
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, *harness.Stack)
	}{
		{"Register", testRegister},
		{"DuplicateEmail", testDuplicateEmail},
		{"Login", testLogin},
		{"LoginFailuresLookAlike", testLoginFailuresLookAlike},
		{"Profile", testProfile},
		{"RefreshRotation", testRefreshRotation},
		{"RefreshReuseRevokesSession", testRefreshReuse},
		{"Logout", testLogout},
		{"Sessions", testSessions},
		{"ChangePassword", testChangePassword},
		{"VerifyEmail", testVerifyEmail},
		{"ResendVerification", testResendVerification},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, s)
		})
	}
}

func testRegister(t *testing.T, s *harness.Stack) {
	c := s.Client(t)
	email := harness.UniqueEmail("Reg")
	res := c.Do(http.MethodPost, "/api/auth/register", map[string]string{
		"email": email, "password": "correct horse", "displayName": "  Ada Lovelace ",
	}, "")
	expect(t, res, http.StatusCreated, "register")
	var body struct{ User user }
	res.JSON(t, &body)
	u := body.User
	if u.Email != strings.ToLower(email) {
		t.Errorf("email = %q, want it lower-cased: %q", u.Email, strings.ToLower(email))
	}
	if u.DisplayName != "Ada Lovelace" {
		t.Errorf("displayName = %q, want trimmed %q", u.DisplayName, "Ada Lovelace")
	}
	if u.EmailVerified {
		t.Error("emailVerified = true right after registration")
	}
	created := parseTime(t, u.CreatedAt)
	if d := time.Since(created); d < -time.Minute || d > time.Minute {
		t.Errorf("createdAt %s is not about now", u.CreatedAt)
	}
	if strings.Contains(string(res.Body), "correct horse") || strings.Contains(strings.ToLower(string(res.Body)), "hash") {
		t.Errorf("register answer leaks the password or its hash: %s", res.Body)
	}
	// The verification e-mail is queued for the new user.
	m := oneMail(t, s, taskVerifyEmail, u.Email)
	if m.UserID != u.ID || m.Token == "" || !strings.Contains(m.Link, m.Token) {
		t.Errorf("verification task %+v does not match user %s", m, u.ID)
	}
}

func testDuplicateEmail(t *testing.T, s *harness.Stack) {
	c := s.Client(t)
	email := harness.UniqueEmail("dup")
	reg := func(e string) *harness.Response {
		return c.Do(http.MethodPost, "/api/auth/register", map[string]string{
			"email": e, "password": "password-1", "displayName": "Dup",
		}, "")
	}
	expect(t, reg(email), http.StatusCreated, "first registration")
	for _, e := range []string{email, strings.ToUpper(email), " " + strings.ToUpper(email[:1]) + email[1:]} {
		res := reg(e)
		expect(t, res, http.StatusConflict, "registration of "+e)
		if p := res.Problem(t); p.Detail == "" {
			t.Errorf("409 without detail: %s", res.Body)
		}
	}
}

func testLogin(t *testing.T, s *harness.Stack) {
	c := s.Client(t)
	a := s.Register(t, c)
	// Case and spaces of the email do not matter at login either.
	res := login(c, " "+strings.ToUpper(a.Email), a.Password)
	expect(t, res, http.StatusOK, "login")
	var body struct {
		tokenPair
		User user `json:"user"`
	}
	res.JSON(t, &body)
	if body.TokenType != "Bearer" || body.ExpiresIn <= 0 || body.AccessToken == "" || body.RefreshToken == "" {
		t.Errorf("login answer %s", res.Body)
	}
	if body.User.ID != a.ID || body.User.Email != a.Email {
		t.Errorf("login user = %+v, want id %s email %s", body.User, a.ID, a.Email)
	}
	_, claims := harness.DecodeJWT(t, body.AccessToken)
	if claims["sub"] != a.ID {
		t.Errorf("token sub = %v, want %s", claims["sub"], a.ID)
	}
	exp, _ := claims["exp"].(float64)
	iat, _ := claims["iat"].(float64)
	if got := int(exp - iat); got != body.ExpiresIn {
		t.Errorf("expiresIn = %d, token lifetime exp-iat = %d", body.ExpiresIn, got)
	}
	if u := profile(t, c, body.AccessToken); u.ID != a.ID {
		t.Errorf("profile id = %s, want %s", u.ID, a.ID)
	}
}

func testLoginFailuresLookAlike(t *testing.T, s *harness.Stack) {
	c := s.Client(t)
	a := s.Register(t, c)
	wrong := login(c, a.Email, "not-the-password")
	unknown := login(c, harness.UniqueEmail("ghost"), "not-the-password")
	expect(t, wrong, http.StatusUnauthorized, "wrong password")
	expect(t, unknown, http.StatusUnauthorized, "unknown email")
	pw, pu := wrong.Problem(t), unknown.Problem(t)
	pw.RequestID, pu.RequestID = "", ""
	pw.Instance, pu.Instance = "", ""
	if !equalProblems(pw, pu) {
		t.Errorf("wrong password and unknown email answer differently:\n%s\n%s", wrong.Body, unknown.Body)
	}
	for _, h := range []string{"Content-Type", "WWW-Authenticate"} {
		if wrong.Header.Get(h) != unknown.Header.Get(h) {
			t.Errorf("%s differs: %q vs %q", h, wrong.Header.Get(h), unknown.Header.Get(h))
		}
	}
}

func equalProblems(a, b harness.Problem) bool {
	if a.Type != b.Type || a.Title != b.Title || a.Status != b.Status || a.Detail != b.Detail ||
		a.Instance != b.Instance || a.RequestID != b.RequestID || len(a.Errors) != len(b.Errors) {
		return false
	}
	for i := range a.Errors {
		if a.Errors[i] != b.Errors[i] {
			return false
		}
	}
	return true
}

func testProfile(t *testing.T, s *harness.Stack) {
	c := s.Client(t)
	a := s.Register(t, c)
	before := profile(t, c, a.AccessToken)
	if before.ID != a.ID || before.Email != a.Email || before.EmailVerified {
		t.Fatalf("profile = %+v", before)
	}
	time.Sleep(10 * time.Millisecond) // let updatedAt move
	res := c.Do(http.MethodPut, "/api/user/profile", map[string]string{"displayName": "  Grace Hopper  "}, a.AccessToken)
	expect(t, res, http.StatusOK, "PUT profile")
	var after user
	res.JSON(t, &after)
	if after.DisplayName != "Grace Hopper" || after.ID != a.ID || after.CreatedAt != before.CreatedAt {
		t.Errorf("updated profile = %+v (before %+v)", after, before)
	}
	if !parseTime(t, after.UpdatedAt).After(parseTime(t, before.UpdatedAt)) {
		t.Errorf("updatedAt %s not after %s", after.UpdatedAt, before.UpdatedAt)
	}
	if got := profile(t, c, a.AccessToken); got.DisplayName != "Grace Hopper" {
		t.Errorf("re-read displayName = %q", got.DisplayName)
	}
	for _, bad := range []string{"   ", strings.Repeat("x", 65), "tab\tname"} {
		res := c.Do(http.MethodPut, "/api/user/profile", map[string]string{"displayName": bad}, a.AccessToken)
		expect(t, res, http.StatusUnprocessableEntity, "displayName "+bad)
		if f := fieldsOf(res.Problem(t)); len(f) != 1 || f[0] != "displayName" {
			t.Errorf("displayName %q: error fields %v, want [displayName]", bad, f)
		}
	}
}

func parseTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("time %q: %v", s, err)
	}
	return v
}
