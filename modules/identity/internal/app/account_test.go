package app_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chatforge/chat/modules/identity/identitytest"
	"github.com/chatforge/chat/modules/identity/internal/app"
	"github.com/chatforge/chat/modules/identity/internal/domain"
)

func TestVerifyEmail(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	u, tok := f.signup(t, "a@example.com")
	verify, _ := f.mail.Sent()
	token := verify[0].Token

	if err := f.VerifyEmail(ctx, "garbage"); !errors.Is(err, domain.ErrInvalidToken) {
		t.Fatalf("garbage: %v", err)
	}
	if err := f.VerifyEmail(ctx, token); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.Profile(ctx, u.ID); !got.EmailVerified() {
		t.Fatal("user must be verified")
	}
	if err := f.VerifyEmail(ctx, token); !errors.Is(err, domain.ErrInvalidToken) {
		t.Fatalf("second use: %v", err)
	}
	// Already verified: resending is a quiet no-op.
	if err := f.ResendVerification(ctx, principal(t, u, tok).UserID); err != nil {
		t.Fatal(err)
	}
	if v, _ := f.mail.Sent(); len(v) != 1 {
		t.Fatalf("resend to a verified user queued %d mails", len(v)-1)
	}
}

func TestVerifyEmailExpiredAndResend(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	u, _ := f.signup(t, "a@example.com")
	f.advance(24 * time.Hour)
	verify, _ := f.mail.Sent()
	if err := f.VerifyEmail(ctx, verify[0].Token); !errors.Is(err, domain.ErrInvalidToken) {
		t.Fatalf("expired: %v", err)
	}
	if err := f.ResendVerification(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	verify, _ = f.mail.Sent()
	if len(verify) != 2 {
		t.Fatalf("want a second mail, got %d", len(verify))
	}
	if err := f.VerifyEmail(ctx, verify[1].Token); err != nil {
		t.Fatalf("fresh token: %v", err)
	}
}

func TestForgotAndResetPassword(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	u, tok := f.signup(t, "a@example.com")
	tok2, _, _ := f.Login(ctx, app.LoginInput{Email: "a@example.com", Password: pw})

	for _, email := range []string{"nobody@example.com", "A@example.com", "a@example.com"} {
		if err := f.ForgotPassword(ctx, app.ForgotPasswordInput{Email: email, IP: "192.0.2.1"}); err != nil {
			t.Fatalf("%s: %v", email, err)
		}
	}
	// The worker's half: an unknown address gets nothing.
	resolver := app.NewResetResolver(f.store, f.mail, time.Hour, f.clock, nil)
	for _, r := range f.mail.ResetRequests() {
		if err := resolver.Resolve(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	_, reset := f.mail.Sent()
	if len(reset) != 2 || reset[0].UserID != u.ID {
		t.Fatalf("reset mails = %+v", reset)
	}

	// A verify token cannot reset a password.
	verify, _ := f.mail.Sent()
	if err := f.ResetPassword(ctx, verify[0].Token, "brand-new-pw"); !errors.Is(err, domain.ErrInvalidToken) {
		t.Fatalf("verify token used for reset: %v", err)
	}
	wantField(t, f.ResetPassword(ctx, reset[0].Token, "short"), "newPassword")
	if err := f.ResetPassword(ctx, reset[0].Token, "brand-new-pw"); err != nil {
		t.Fatal(err)
	}
	for _, sid := range []string{tok.SessionID, tok2.SessionID} {
		if !f.revoker.IsRevoked(sid) {
			t.Errorf("session %s must be revoked after a reset", sid)
		}
	}
	if err := f.ResetPassword(ctx, reset[1].Token, "another-new-pw"); !errors.Is(err, domain.ErrInvalidToken) {
		t.Fatalf("other outstanding reset tokens must die with the reset: %v", err)
	}
	if _, _, err := f.Login(ctx, app.LoginInput{Email: "a@example.com", Password: pw}); !errors.Is(err, domain.ErrInvalidCredentials) {
		t.Fatalf("old password: %v", err)
	}
	if _, _, err := f.Login(ctx, app.LoginInput{Email: "a@example.com", Password: "brand-new-pw"}); err != nil {
		t.Fatalf("new password: %v", err)
	}
}

func TestProfile(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	u, _ := f.signup(t, "a@example.com")
	f.advance(time.Hour)
	got, err := f.UpdateProfile(ctx, u.ID, "  Grace ")
	if err != nil || got.DisplayName != "Grace" || !got.UpdatedAt.After(got.CreatedAt) {
		t.Fatalf("update: %+v %v", got, err)
	}
	_, err = f.UpdateProfile(ctx, u.ID, "")
	wantField(t, err, "displayName")
	if _, err := f.Profile(ctx, uuid.New()); !errors.Is(err, domain.ErrUserNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
}

func TestChangePassword(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	u, cur := f.signup(t, "a@example.com")
	other, _, _ := f.Login(ctx, app.LoginInput{Email: "a@example.com", Password: pw})
	p := principal(t, u, cur)

	if err := f.ChangePassword(ctx, p, "wrong-password", "brand-new-pw"); !errors.Is(err, domain.ErrWrongPassword) {
		t.Fatalf("wrong current: %v", err)
	}
	wantField(t, f.ChangePassword(ctx, p, pw, "short"), "newPassword")
	if err := f.ChangePassword(ctx, p, pw, "brand-new-pw"); err != nil {
		t.Fatal(err)
	}
	if f.revoker.IsRevoked(cur.SessionID) || !f.revoker.IsRevoked(other.SessionID) {
		t.Fatal("only the other sessions must be revoked")
	}
	if _, err := f.Refresh(ctx, cur.RefreshToken); err != nil {
		t.Fatalf("current session must keep working: %v", err)
	}
}

func TestSessions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	u, cur := f.signup(t, "a@example.com")
	f.advance(time.Second)
	other, _, _ := f.Login(ctx, app.LoginInput{Email: "a@example.com", Password: pw})
	_, mtok := f.signup(t, "m@example.com")
	p := principal(t, u, cur)

	list, err := f.Sessions(ctx, p)
	if err != nil || len(list) != 2 {
		t.Fatalf("list: %+v %v", list, err)
	}
	if list[0].ID.String() != other.SessionID || list[0].Current || !list[1].Current {
		t.Fatalf("want newest first with the current one flagged: %+v", list)
	}
	if err := f.RevokeSession(ctx, p, mustUUID(t, mtok.SessionID)); !errors.Is(err, domain.ErrSessionNotFound) {
		t.Fatalf("someone else's session: %v", err)
	}
	if err := f.RevokeSession(ctx, p, uuid.New()); !errors.Is(err, domain.ErrSessionNotFound) {
		t.Fatalf("unknown session: %v", err)
	}
	if err := f.RevokeSession(ctx, p, mustUUID(t, other.SessionID)); err != nil {
		t.Fatal(err)
	}
	if list, _ = f.Sessions(ctx, p); len(list) != 1 || !list[0].Current {
		t.Fatalf("after revoke: %+v", list)
	}
	if !f.revoker.IsRevoked(other.SessionID) || f.revoker.IsRevoked(mtok.SessionID) {
		t.Fatal("revocations")
	}
}

// countingStore counts the store calls made through it.
type countingStore struct {
	app.Store
	calls int
}

func (s *countingStore) UserByEmail(ctx context.Context, e domain.Email) (domain.User, error) {
	s.calls++
	return s.Store.UserByEmail(ctx, e)
}

func (s *countingStore) CreateEmailToken(ctx context.Context, t domain.EmailToken) error {
	s.calls++
	return s.Store.CreateEmailToken(ctx, t)
}

// TestForgotPasswordSameWorkForAnyAddress: the api's half of a forgot
// password does the same for a registered and an unregistered address (one
// request handed to the worker, no store access), so its timing cannot tell
// them apart.
func TestForgotPasswordSameWorkForAnyAddress(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	f.signup(t, "known@example.com")
	h, _ := domain.NewHasher(domain.HashParams{Memory: 1024, Iterations: 1, Parallelism: 1})
	store := &countingStore{Store: f.store}
	mail := &identitytest.Mailer{}
	a, err := app.New(app.Deps{
		Store: store, Mailer: mail, Resets: mail, Tokens: &identitytest.Tokens{}, Revoker: f.revoker, Hasher: h,
		Config: app.Config{RefreshTTL: time.Hour, VerifyTTL: time.Hour},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"known@example.com", "unknown@example.com"} {
		if err := a.ForgotPassword(ctx, app.ForgotPasswordInput{Email: email, IP: "192.0.2.1", UserAgent: "ua", RequestID: "r"}); err != nil {
			t.Fatalf("%s: %v", email, err)
		}
	}
	reqs := mail.ResetRequests()
	verify, reset := mail.Sent()
	if store.calls != 0 || len(verify) != 0 || len(reset) != 0 || len(reqs) != 2 {
		t.Fatalf("store calls %d, mails %d+%d, requests %d: want only 2 requests", store.calls, len(verify), len(reset), len(reqs))
	}
	known, unknown := reqs[0], reqs[1]
	unknown.Email = known.Email
	if known != unknown {
		t.Errorf("requests differ beyond the address: %+v vs %+v", reqs[0], reqs[1])
	}
}
