package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chatforge/chat/tests/e2e/harness"
)

func testForgotAndReset(t *testing.T, s *harness.Stack) {
	c := s.Client(t)
	a := s.Register(t, c)
	other := s.Login(t, c, a.Email, a.Password)
	forgot := func(email string) *harness.Response {
		return c.Do(http.MethodPost, "/api/auth/password/forgot", map[string]string{"email": email}, "")
	}

	// Known and unknown addresses get the same answer; only the known one
	// gets an e-mail.
	ghost := harness.UniqueEmail("ghost")
	known, unknown := forgot(strings.ToUpper(a.Email)), forgot(ghost)
	expect(t, known, http.StatusAccepted, "forgot (known email)")
	expect(t, unknown, http.StatusAccepted, "forgot (unknown email)")
	if string(known.Body) != string(unknown.Body) {
		t.Errorf("forgot answers differ: %q vs %q", known.Body, unknown.Body)
	}
	if n := len(mails(t, s, taskPasswordReset, ghost)); n != 0 {
		t.Errorf("%d reset e-mails queued for an unknown address", n)
	}
	m := oneMail(t, s, taskPasswordReset, a.Email)
	if m.UserID != a.ID || m.Token == "" || !strings.Contains(m.Link, m.Token) {
		t.Fatalf("reset task %+v", m)
	}

	reset := func(token, pw string) *harness.Response {
		return c.Do(http.MethodPost, "/api/auth/password/reset", map[string]string{"token": token, "newPassword": pw}, "")
	}
	expect(t, reset("not-a-real-token", "whatever-pass"), http.StatusBadRequest, "reset with an unknown token")
	res := reset(m.Token, "short")
	expect(t, res, http.StatusUnprocessableEntity, "reset with a too short password")
	if f := fieldsOf(res.Problem(t)); len(f) != 1 || f[0] != "newPassword" {
		t.Errorf("error fields %v, want [newPassword]", f)
	}

	const next = "reset password 42"
	expect(t, reset(m.Token, next), http.StatusNoContent, "reset")
	// Every session of the user is revoked.
	for _, acc := range []harness.Account{a, other} {
		expectUnauthorized(t, c, acc.AccessToken, "access token after reset")
		expect(t, refresh(c, acc.RefreshToken), http.StatusUnauthorized, "refresh token after reset")
	}
	expect(t, login(c, a.Email, a.Password), http.StatusUnauthorized, "login with the old password")
	expect(t, login(c, a.Email, next), http.StatusOK, "login with the new password")
	// The token is single use.
	expect(t, reset(m.Token, "another password"), http.StatusBadRequest, "second use of the reset token")
	expect(t, login(c, a.Email, next), http.StatusOK, "new password still valid")
}

func testVerifyEmail(t *testing.T, s *harness.Stack) {
	c := s.Client(t)
	a := s.Register(t, c)
	m := oneMail(t, s, taskVerifyEmail, a.Email)
	if m.UserID != a.ID || m.Token == "" || !strings.Contains(m.Link, m.Token) {
		t.Fatalf("verification task %+v", m)
	}
	if profile(t, c, a.AccessToken).EmailVerified {
		t.Fatal("emailVerified before verification")
	}
	verify := func(token string) *harness.Response {
		return c.Do(http.MethodPost, "/api/auth/verify-email", map[string]string{"token": token}, "")
	}
	expect(t, verify("bogus-token"), http.StatusBadRequest, "verify with an unknown token")
	expect(t, verify(m.Token), http.StatusNoContent, "verify")
	if !profile(t, c, a.AccessToken).EmailVerified {
		t.Error("emailVerified false after verification")
	}
	expect(t, verify(m.Token), http.StatusBadRequest, "second use of the verification token")

	// A reset token is no verification token (and the reverse).
	expect(t, c.Do(http.MethodPost, "/api/auth/password/forgot", map[string]string{"email": a.Email}, ""),
		http.StatusAccepted, "forgot")
	rm := oneMail(t, s, taskPasswordReset, a.Email)
	expect(t, verify(rm.Token), http.StatusBadRequest, "verify with a reset token")
}

func testResendVerification(t *testing.T, s *harness.Stack) {
	c := s.Client(t)
	a := s.Register(t, c)
	resend := func() *harness.Response {
		return c.Do(http.MethodPost, "/api/auth/verify-email/resend", nil, a.AccessToken)
	}
	expect(t, resend(), http.StatusAccepted, "resend")
	ms := mails(t, s, taskVerifyEmail, a.Email)
	if len(ms) != 2 || ms[0].Token == ms[1].Token {
		t.Fatalf("after resend: %d verification tasks %+v, want 2 with different tokens", len(ms), ms)
	}
	// Either token verifies; once verified, resend queues nothing more.
	expect(t, c.Do(http.MethodPost, "/api/auth/verify-email", map[string]string{"token": ms[1].Token}, ""),
		http.StatusNoContent, "verify with the resent token")
	expect(t, resend(), http.StatusAccepted, "resend when verified")
	if n := len(mails(t, s, taskVerifyEmail, a.Email)); n != 2 {
		t.Errorf("%d verification tasks after resend to a verified user, want 2", n)
	}
	expect(t, c.Do(http.MethodPost, "/api/auth/verify-email/resend", nil, ""), http.StatusUnauthorized, "resend without token")
}
