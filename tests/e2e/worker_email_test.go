package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5"

	"github.com/chatforge/chat/tests/e2e/harness"
)

// TestWorkerEmails drives the account e-mails end to end: the api enqueues,
// the worker sends over SMTP to a real server (Mailpit), and the link in
// the mail works against the api.
func TestWorkerEmails(t *testing.T) {
	s := harness.NewStack(t, harness.Options{})
	mp := startMailpit(t)
	startWorker(t, s, "worker-mail", map[string]string{"SMTP_ADDR": mp.SMTPAddr})

	t.Run("verification", func(t *testing.T) {
		c := s.Client(t)
		a := s.Register(t, c)
		d := mp.waitMail(t, a.Email, 20*time.Second)
		if d.Subject != "Confirm your e-mail address" || d.From.Address != "no-reply@chatforge.test" {
			t.Errorf("mail subject %q from %q", d.Subject, d.From.Address)
		}
		if d.Text == "" || d.HTML == "" {
			t.Fatalf("want a multipart mail with text and HTML; text %d bytes, HTML %d bytes", len(d.Text), len(d.HTML))
		}
		link, token := mailLink(t, d)
		if !strings.HasPrefix(link, s.APIs[0].URL()+"/verify-email?token=") {
			t.Errorf("link %s does not lie under PUBLIC_BASE_URL %s", link, s.APIs[0].URL())
		}
		expect(t, c.Do(http.MethodPost, "/api/auth/verify-email", map[string]string{"token": token}, ""),
			http.StatusNoContent, "verify through the mailed token")
		if !profile(t, c, a.AccessToken).EmailVerified {
			t.Error("emailVerified = false after verifying through the mail")
		}
	})

	t.Run("password reset", func(t *testing.T) {
		c := s.Client(t)
		a := s.Register(t, c)
		mp.waitMail(t, a.Email, 20*time.Second) // the verification mail
		expect(t, c.Do(http.MethodPost, "/api/auth/password/forgot", map[string]string{"email": a.Email}, ""),
			http.StatusAccepted, "forgot password")
		var reset mailDetail
		eventually(t, 20*time.Second, "the reset mail", func() bool {
			for _, m := range mp.messagesTo(t, a.Email) {
				if m.Subject == "Reset your password" {
					reset = mp.message(t, m.ID)
					return true
				}
			}
			return false
		})
		link, token := mailLink(t, reset)
		if !strings.HasPrefix(link, s.APIs[0].URL()+"/reset-password?token=") {
			t.Errorf("reset link %s", link)
		}
		newPassword := "new-" + a.Password
		expect(t, c.Do(http.MethodPost, "/api/auth/password/reset",
			map[string]string{"token": token, "newPassword": newPassword}, ""), http.StatusNoContent, "reset")
		expectUnauthorized(t, c, a.AccessToken, "old access token after reset")
		expect(t, refresh(c, a.RefreshToken), http.StatusUnauthorized, "old refresh token after reset")
		expect(t, login(c, a.Email, newPassword), http.StatusOK, "login with the new password")
	})

	t.Run("same task twice sends one mail", func(t *testing.T) {
		// Two deliveries of one e-mail (same token) under different task
		// IDs, as a re-enqueue after a lost answer would make.
		to := harness.UniqueEmail("dup")
		payload, _ := json.Marshal(map[string]string{
			"userId": "00000000-0000-4000-8000-000000000042", "email": to, "displayName": "Dup",
			"token": "dup-token-" + to, "link": s.APIs[0].URL() + "/verify-email?token=dup",
		})
		opt, err := asynq.ParseRedisURI(s.RedisURL)
		if err != nil {
			t.Fatal(err)
		}
		client := asynq.NewClient(opt)
		defer client.Close()
		for range 2 {
			if _, err := client.Enqueue(asynq.NewTask(taskVerifyEmail, payload), asynq.Queue(mailQueue)); err != nil {
				t.Fatal(err)
			}
		}
		mp.waitMail(t, to, 20*time.Second)
		expectMailCount(t, mp, to, 1, 3*time.Second)
	})
}

// TestWorkerSMTPOutage: with the SMTP server down, the mail is retried with
// back-off (the breaker opens) and arrives once after the server is back.
func TestWorkerSMTPOutage(t *testing.T) {
	t.Parallel()
	s := harness.NewStack(t, harness.Options{})
	mp := startMailpit(t)
	w := startWorker(t, s, "worker-outage", map[string]string{
		"SMTP_ADDR": mp.SMTPAddr, "SMTP_TIMEOUT": "2s",
		"EMAIL_RETRY_BASE": "200ms", "EMAIL_RETRY_MAX": "1s",
		"SMTP_BREAKER_FAILURES": "2", "SMTP_BREAKER_OPEN_FOR": "2s",
	})
	mp.Stop()

	c := s.Client(t)
	a := s.Register(t, c)
	// Let the worker fail a few times and open its breaker.
	eventually(t, 20*time.Second, "the SMTP breaker to open", func() bool {
		return strings.Contains(scrape(t, w), `notify_smtp_breaker_state{state="open"} 1`)
	})
	mp.Restart(t)

	d := mp.waitMail(t, a.Email, 30*time.Second)
	_, token := mailLink(t, d)
	expectMailCount(t, mp, a.Email, 1, 3*time.Second)
	expect(t, c.Do(http.MethodPost, "/api/auth/verify-email", map[string]string{"token": token}, ""),
		http.StatusNoContent, "verify through the mail sent after the outage")
}

// TestWorkerKilledMidTask: a worker dies (SIGKILL) in the middle of an SMTP
// exchange; asynq hands the task to another worker once the dead one's
// lease expires (about a minute), and the mail is delivered once.
func TestWorkerKilledMidTask(t *testing.T) {
	t.Parallel()
	s := harness.NewStack(t, harness.Options{})
	mp := startMailpit(t)
	gate := newSMTPGate(t, mp.SMTPAddr)
	env := map[string]string{"SMTP_ADDR": gate.Addr, "SMTP_TIMEOUT": "10m"}
	a1 := startWorker(t, s, "worker-a", env)

	c := s.Client(t)
	a := s.Register(t, c)
	select {
	case <-gate.accepted: // worker-a is now waiting for the SMTP greeting
	case <-time.After(20 * time.Second):
		t.Fatal("worker-a never connected to the SMTP server")
	}
	a1.Kill()
	gate.Open()
	startWorker(t, s, "worker-b", env)

	mp.waitMail(t, a.Email, 150*time.Second)
	expectMailCount(t, mp, a.Email, 1, 3*time.Second)
	if n := ledgerAttempts(t, s, a.ID); n != 2 {
		t.Errorf("ledger attempts = %d, want 2 (worker-a's and worker-b's)", n)
	}
}

// expectMailCount checks that address has exactly want mails now and still
// after settle (a late duplicate would show up).
func expectMailCount(t *testing.T, mp *mailpit, address string, want int, settle time.Duration) {
	t.Helper()
	time.Sleep(settle)
	if got := mp.messagesTo(t, address); len(got) != want {
		t.Fatalf("%d mails to %s, want %d: %+v", len(got), address, want, got)
	}
}

// scrape returns the worker's /metrics text.
func scrape(t *testing.T, w *harness.Proc) string {
	t.Helper()
	u := w.URL() + "/metrics"
	res, err := http.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

// ledgerAttempts reads the e-mail ledger's attempt count for a user's
// verification mail.
func ledgerAttempts(t *testing.T, s *harness.Stack, userID string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	err = conn.QueryRow(ctx, `SELECT attempts FROM sent_emails WHERE user_id = $1 AND kind = 'verify'`, userID).Scan(&n)
	if err != nil {
		t.Fatalf("ledger row: %v", err)
	}
	return n
}
