package e2e

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chatforge/chat/tests/e2e/harness"
)

// TestForgotAndReset runs the password reset through the real worker: the
// api enqueues one forgot-password task per valid address, known or not
// (so its work does not depend on the account's existence), and the worker
// resolves the address and mails the link, or nothing.
func TestForgotAndReset(t *testing.T) {
	s := harness.NewStack(t, harness.Options{})
	mp := startMailpit(t)
	c := s.Client(t)
	a := s.Register(t, c)
	other := s.Login(t, c, a.Email, a.Password)
	forgot := func(email string) *harness.Response {
		return c.Do(http.MethodPost, "/api/auth/password/forgot", map[string]string{"email": email}, "")
	}

	// Known and unknown addresses get the same answer and the same work:
	// one forgot-password task each (no worker is running yet).
	ghost := harness.UniqueEmail("ghost")
	known, unknown := forgot(strings.ToUpper(a.Email)), forgot(ghost)
	expect(t, known, http.StatusAccepted, "forgot (known email)")
	expect(t, unknown, http.StatusAccepted, "forgot (unknown email)")
	if string(known.Body) != string(unknown.Body) {
		t.Errorf("forgot answers differ: %q vs %q", known.Body, unknown.Body)
	}
	var queued []string
	for _, raw := range s.Tasks(t, mailQueue, taskPasswordForgot) {
		var p struct {
			Email string `json:"email"`
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			t.Fatal(err)
		}
		queued = append(queued, strings.ToLower(p.Email))
	}
	slices.Sort(queued)
	want := []string{strings.ToLower(a.Email), strings.ToLower(ghost)}
	slices.Sort(want)
	if !slices.Equal(queued, want) {
		t.Fatalf("forgot tasks for %v, want one each for %v", queued, want)
	}
	if n := len(s.Tasks(t, mailQueue, taskPasswordReset)); n != 0 {
		t.Fatalf("%d reset e-mails queued by the api itself, want 0 (the worker resolves)", n)
	}

	startWorker(t, s, "worker-reset", map[string]string{"SMTP_ADDR": mp.SMTPAddr})
	var mail mailDetail
	eventually(t, 20*time.Second, "the reset mail", func() bool {
		for _, m := range mp.messagesTo(t, a.Email) {
			if m.Subject == "Reset your password" {
				mail = mp.message(t, m.ID)
				return true
			}
		}
		return false
	})
	_, token := mailLink(t, mail)
	eventually(t, 20*time.Second, "the forgot tasks handled", func() bool {
		return len(s.Tasks(t, mailQueue, taskPasswordForgot)) == 0
	})
	expectMailCount(t, mp, ghost, 0, time.Second)

	reset := func(token, pw string) *harness.Response {
		return c.Do(http.MethodPost, "/api/auth/password/reset", map[string]string{"token": token, "newPassword": pw}, "")
	}
	expect(t, reset("not-a-real-token", "whatever-pass"), http.StatusBadRequest, "reset with an unknown token")
	expect(t, c.Do(http.MethodPost, "/api/auth/verify-email", map[string]string{"token": token}, ""),
		http.StatusBadRequest, "verify with a reset token")
	res := reset(token, "short")
	expect(t, res, http.StatusUnprocessableEntity, "reset with a too short password")
	if f := fieldsOf(res.Problem(t)); len(f) != 1 || f[0] != "newPassword" {
		t.Errorf("error fields %v, want [newPassword]", f)
	}

	const next = "reset password 42"
	expect(t, reset(token, next), http.StatusNoContent, "reset")
	// Every session of the user is revoked.
	for _, acc := range []harness.Account{a, other} {
		expectUnauthorized(t, c, acc.AccessToken, "access token after reset")
		expect(t, refresh(c, acc.RefreshToken), http.StatusUnauthorized, "refresh token after reset")
	}
	expect(t, login(c, a.Email, a.Password), http.StatusUnauthorized, "login with the old password")
	expect(t, login(c, a.Email, next), http.StatusOK, "login with the new password")
	// The token is single use.
	expect(t, reset(token, "another password"), http.StatusBadRequest, "second use of the reset token")
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

	// A reset token is no verification token: TestForgotAndReset.
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
