package httpapi_test

import (
	"testing"

	"github.com/chatforge/chat/modules/identity/internal/ports/httpapi"
)

func TestRegister(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil, httpapi.Limits{}, nil)
	r := s.do("POST", "/api/auth/register", map[string]string{"email": "Ada@Example.com", "password": pw, "displayName": " Ada "}, "")
	s.want(r, 201)
	var body struct {
		User map[string]any `json:"user"`
	}
	r.json(&body)
	u := body.User
	if u["email"] != "ada@example.com" || u["displayName"] != "Ada" || u["emailVerified"] != false || u["id"] == "" || u["createdAt"] == nil || u["updatedAt"] == nil {
		t.Fatalf("user = %v", u)
	}
	if _, leaked := u["passwordHash"]; leaked || len(u) != 7 || u["isBot"] != false {
		t.Fatalf("unexpected user fields: %v", u)
	}

	p := s.do("POST", "/api/auth/register", map[string]string{"email": "ADA@example.com", "password": pw, "displayName": "X"}, "")
	s.want(p, 409)

	p = s.do("POST", "/api/auth/register", map[string]string{"email": "nope", "password": "short", "displayName": "  "}, "")
	s.want(p, 422)
	prob := p.problem()
	if len(prob.Errors) != 3 {
		t.Fatalf("want one error per bad field, got %+v", prob.Errors)
	}

	p = s.do("POST", "/api/auth/register", map[string]string{"email": "a@b.io"}, "")
	s.want(p, 422) // missing fields, reported by Bind
	p = s.do("POST", "/api/auth/register", map[string]any{"email": "a@b.io", "password": pw, "displayName": "A", "admin": true}, "")
	s.want(p, 400) // unknown field
}

func TestLoginSameAnswerForUnknownAndWrong(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil, httpapi.Limits{}, nil)
	lb := s.account("a@example.com")
	if lb.AccessToken == "" || lb.RefreshToken == "" || lb.TokenType != "Bearer" || lb.ExpiresIn != 900 || lb.User.Email != "a@example.com" {
		t.Fatalf("login body = %+v", lb)
	}
	wrong := s.do("POST", "/api/auth/login", map[string]string{"email": "a@example.com", "password": "wrong-password"}, "")
	unknown := s.do("POST", "/api/auth/login", map[string]string{"email": "b@example.com", "password": pw}, "")
	s.want(wrong, 401)
	s.want(unknown, 401)
	pw2, pu := wrong.problem(), unknown.problem()
	if pw2.Detail != "invalid email or password" || pw2.Detail != pu.Detail || pw2.Title != pu.Title ||
		wrong.Header().Get("WWW-Authenticate") != unknown.Header().Get("WWW-Authenticate") {
		t.Fatalf("answers differ: %+v vs %+v", pw2, pu)
	}
}

func TestRefreshAndLogout(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil, httpapi.Limits{}, nil)
	lb := s.account("a@example.com")

	r := s.do("POST", "/api/auth/refresh", map[string]string{"refreshToken": lb.RefreshToken}, "")
	s.want(r, 200)
	var next map[string]any
	r.json(&next)
	if next["refreshToken"] == lb.RefreshToken || next["tokenType"] != "Bearer" || next["accessToken"] == "" || len(next) != 4 {
		t.Fatalf("refresh body = %v", next)
	}
	s.want(s.do("POST", "/api/auth/refresh", map[string]string{"refreshToken": lb.RefreshToken}, ""), 401)
	s.want(s.do("POST", "/api/auth/refresh", map[string]string{"refreshToken": "garbage"}, ""), 401)

	s.want(s.do("POST", "/api/auth/logout", nil, ""), 401)
	s.want(s.do("POST", "/api/auth/logout", nil, lb.AccessToken), 204)
}

func TestEmailFlows(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil, httpapi.Limits{}, nil)
	lb := s.account("a@example.com")
	verify, _ := s.mail.Sent()

	p := s.do("POST", "/api/auth/verify-email", map[string]string{"token": "not-a-token"}, "")
	s.want(p, 400)
	if d := p.problem().Detail; d != "invalid or expired token" {
		t.Fatalf("detail %q", d)
	}
	s.want(s.do("POST", "/api/auth/verify-email/resend", nil, lb.AccessToken), 202)
	s.want(s.do("POST", "/api/auth/verify-email/resend", nil, ""), 401)
	s.want(s.do("POST", "/api/auth/verify-email", map[string]string{"token": verify[0].Token}, ""), 204)

	s.want(s.do("POST", "/api/auth/password/forgot", map[string]string{"email": "nobody@example.com"}, ""), 202)
	s.want(s.do("POST", "/api/auth/password/forgot", map[string]string{"email": "a@example.com"}, ""), 202)
	s.resolveResets()
	_, reset := s.mail.Sent()
	if len(reset) != 1 {
		t.Fatalf("reset mails: %d", len(reset))
	}
	p = s.do("POST", "/api/auth/password/reset", map[string]string{"token": reset[0].Token, "newPassword": "short"}, "")
	s.want(p, 422)
	if e := p.problem().Errors; len(e) != 1 || e[0].Field != "newPassword" {
		t.Fatalf("errors %+v", e)
	}
	s.want(s.do("POST", "/api/auth/password/reset", map[string]string{"token": reset[0].Token, "newPassword": "brand-new-pw"}, ""), 204)
	s.want(s.do("POST", "/api/auth/login", map[string]string{"email": "a@example.com", "password": "brand-new-pw"}, ""), 200)
}
