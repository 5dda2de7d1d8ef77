package app_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chatforge/chat/modules/identity/internal/app"
	"github.com/chatforge/chat/modules/identity/internal/domain"
)

func mustUUID(t *testing.T, s string) uuid.UUID {
	t.Helper()
	id, err := uuid.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestRegister(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	u, err := f.Register(ctx, app.RegisterInput{Email: " Ada@Example.com", Password: pw, DisplayName: " Ada "})
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "ada@example.com" || u.DisplayName != "Ada" || u.EmailVerified() || u.PasswordHash == pw {
		t.Fatalf("user = %+v", u)
	}
	verify, _ := f.mail.Sent()
	if len(verify) != 1 || verify[0].UserID != u.ID || verify[0].TokenHash != domain.HashToken(verify[0].Token) {
		t.Fatalf("verification mail = %+v", verify)
	}
	_, err = f.Register(ctx, app.RegisterInput{Email: "ADA@example.com", Password: pw, DisplayName: "Other"})
	if !errors.Is(err, domain.ErrEmailTaken) {
		t.Fatalf("duplicate: %v", err)
	}
	_, err = f.Register(ctx, app.RegisterInput{Email: "x@example.com", Password: "short", DisplayName: "X"})
	wantField(t, err, "password")
	_, err = f.Register(ctx, app.RegisterInput{Email: "nope", Password: pw, DisplayName: "X"})
	wantField(t, err, "email")
	_, err = f.Register(ctx, app.RegisterInput{Email: "x@example.com", Password: pw, DisplayName: " "})
	wantField(t, err, "displayName")
}

func TestRegisterSurvivesQueueFailure(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.mail.Err = errors.New("redis down")
	if _, err := f.Register(context.Background(), app.RegisterInput{Email: "a@example.com", Password: pw, DisplayName: "A"}); err != nil {
		t.Fatalf("an enqueue failure must not fail registration: %v", err)
	}
}

func TestLogin(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	u, tok := f.signup(t, "a@example.com")
	if tok.AccessToken == "" || tok.RefreshToken == "" || tok.ExpiresIn != 15*time.Minute {
		t.Fatalf("tokens = %+v", tok)
	}
	s, ok := f.store.Session(mustUUID(t, tok.SessionID))
	if !ok || s.UserID != u.ID || s.UserAgent != "test" || s.IP != "192.0.2.1" || !s.ExpiresAt.Equal(s.CreatedAt.Add(30*24*time.Hour)) {
		t.Fatalf("session = %+v", s)
	}
	for _, in := range []app.LoginInput{
		{Email: "a@example.com", Password: "wrong-password"},
		{Email: "nobody@example.com", Password: pw},
		{Email: "not an email", Password: pw},
	} {
		if _, _, err := f.Login(ctx, in); !errors.Is(err, domain.ErrInvalidCredentials) {
			t.Errorf("Login(%+v) err = %v; want ErrInvalidCredentials", in, err)
		}
	}
	if _, got, err := f.Login(ctx, app.LoginInput{Email: "A@EXAMPLE.COM", Password: pw}); err != nil || got.ID != u.ID {
		t.Fatalf("e-mail must match case-insensitively: %v", err)
	}
}

func TestRefreshRotation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	_, first := f.signup(t, "a@example.com")
	f.advance(time.Minute)

	second, err := f.Refresh(ctx, first.RefreshToken)
	if err != nil || second.RefreshToken == first.RefreshToken || second.SessionID != first.SessionID {
		t.Fatalf("refresh: %+v %v", second, err)
	}
	sid := mustUUID(t, first.SessionID)
	if s, _ := f.store.Session(sid); !s.LastUsedAt.Equal(s.CreatedAt.Add(time.Minute)) {
		t.Fatalf("refresh must touch the session: %+v", s)
	}

	// Replaying the spent token revokes the session, and with it the
	// token the legitimate client holds.
	if _, err := f.Refresh(ctx, first.RefreshToken); !errors.Is(err, domain.ErrRefreshReused) {
		t.Fatalf("reuse: %v", err)
	}
	if s, _ := f.store.Session(sid); s.RevokedAt == nil || !f.revoker.IsRevoked(sid.String()) {
		t.Fatal("reuse must revoke the session in the store and in the revocation list")
	}
	if _, err := f.Refresh(ctx, second.RefreshToken); !errors.Is(err, domain.ErrInvalidRefreshToken) {
		t.Fatalf("token of a revoked session: %v", err)
	}
	for _, bad := range []string{"", "garbage", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
		if _, err := f.Refresh(ctx, bad); !errors.Is(err, domain.ErrInvalidRefreshToken) {
			t.Errorf("Refresh(%q) = %v", bad, err)
		}
	}
}

func TestRefreshExpiredSession(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, tok := f.signup(t, "a@example.com")
	f.advance(30 * 24 * time.Hour)
	if _, err := f.Refresh(context.Background(), tok.RefreshToken); !errors.Is(err, domain.ErrInvalidRefreshToken) {
		t.Fatalf("expired session: %v", err)
	}
}

func TestRefreshConcurrentOnlyOneWins(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, tok := f.signup(t, "a@example.com")
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := f.Refresh(context.Background(), tok.RefreshToken)
			errs <- err
		}()
	}
	var ok int
	for range 2 {
		if err := <-errs; err == nil {
			ok++
		} else if !errors.Is(err, domain.ErrRefreshReused) {
			t.Errorf("loser: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d refreshes succeeded; want exactly 1", ok)
	}
}

func TestLogout(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	u, tok := f.signup(t, "a@example.com")
	p := principal(t, u, tok)
	if err := f.Logout(ctx, p); err != nil {
		t.Fatal(err)
	}
	if !f.revoker.IsRevoked(tok.SessionID) {
		t.Fatal("logout must publish the revocation")
	}
	if _, err := f.Refresh(ctx, tok.RefreshToken); !errors.Is(err, domain.ErrInvalidRefreshToken) {
		t.Fatalf("refresh after logout: %v", err)
	}
	if err := f.Logout(ctx, p); err != nil {
		t.Fatalf("logout must be idempotent: %v", err)
	}
	f.revoker.Err = errors.New("redis down")
	if err := f.Logout(ctx, p); err == nil {
		t.Fatal("logout must report a failed revocation so the client retries")
	}
}
