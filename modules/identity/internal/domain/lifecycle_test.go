package domain_test

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/chatforge/chat/modules/identity/internal/domain"
)

var t0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

func TestTokens(t *testing.T) {
	t.Parallel()
	a, ha := domain.NewToken()
	b, _ := domain.NewToken()
	if a == b || len(a) != 43 {
		t.Fatalf("tokens %q %q", a, b)
	}
	if h, ok := domain.ParseToken(a); !ok || h != ha || h != domain.HashToken(a) {
		t.Fatal("ParseToken must hash a well-formed token like NewToken")
	}
	for _, s := range []string{"", "short", strings.Repeat("*", 43)} {
		if _, ok := domain.ParseToken(s); ok {
			t.Errorf("ParseToken(%q) accepted", s)
		}
	}
}

func TestSessionLifecycle(t *testing.T) {
	t.Parallel()
	ua := strings.Repeat("é", 400) // 800 bytes: must be cut on a rune boundary
	s, err := domain.NewSession(uuid.New(), ua, "203.0.113.9", t0, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.UserAgent) > 512 || !utf8.ValidString(s.UserAgent) {
		t.Fatalf("user agent not bounded: %d bytes", len(s.UserAgent))
	}
	if !s.Live(t0) || s.Live(t0.Add(time.Hour)) {
		t.Fatal("session must live exactly ttl")
	}
	s.Revoke(t0.Add(time.Minute))
	s.Revoke(t0.Add(2 * time.Minute))
	if s.Live(t0) || !s.RevokedAt.Equal(t0.Add(time.Minute)) {
		t.Fatal("revocation must stick to the first time")
	}
}

func TestRotation(t *testing.T) {
	t.Parallel()
	sess, _ := domain.NewSession(uuid.New(), "ua", "ip", t0, time.Hour)
	_, tok := domain.NewRefreshToken(sess.ID, t0)
	_, next := domain.NewRefreshToken(sess.ID, t0)
	now := t0.Add(time.Minute)

	r := domain.Rotation{Token: tok, Session: sess}
	if err := r.Rotate(next, now); err != nil || r.Next == nil || r.Token.SpentAt == nil || !r.Session.LastUsedAt.Equal(now) {
		t.Fatalf("live rotation: %v %+v", err, r)
	}

	reused := domain.Rotation{Token: r.Token, Session: sess}
	if err := reused.Rotate(next, now); !errors.Is(err, domain.ErrRefreshReused) || reused.Session.RevokedAt == nil || reused.Next != nil {
		t.Fatalf("reuse must revoke the session: %v %+v", err, reused)
	}

	expired := domain.Rotation{Token: tok, Session: sess}
	if err := expired.Rotate(next, t0.Add(time.Hour)); !errors.Is(err, domain.ErrInvalidRefreshToken) || expired.Token.SpentAt != nil {
		t.Fatalf("expired session: %v", err)
	}
	revoked := domain.Rotation{Token: tok, Session: sess}
	revoked.Session.Revoke(t0)
	if err := revoked.Rotate(next, now); !errors.Is(err, domain.ErrInvalidRefreshToken) {
		t.Fatalf("revoked session: %v", err)
	}
}

func TestEmailTokenUse(t *testing.T) {
	t.Parallel()
	uid := uuid.New()
	_, tok := domain.NewEmailToken(uid, domain.PurposeVerify, t0, 24*time.Hour)
	wrong := tok
	if err := wrong.Use(domain.PurposeReset, t0); !errors.Is(err, domain.ErrInvalidToken) {
		t.Fatalf("wrong purpose: %v", err)
	}
	late := tok
	if err := late.Use(domain.PurposeVerify, t0.Add(24*time.Hour)); !errors.Is(err, domain.ErrInvalidToken) {
		t.Fatalf("expired: %v", err)
	}
	if err := tok.Use(domain.PurposeVerify, t0.Add(time.Hour)); err != nil || tok.UsedAt == nil {
		t.Fatalf("first use: %v", err)
	}
	if err := tok.Use(domain.PurposeVerify, t0.Add(time.Hour)); !errors.Is(err, domain.ErrInvalidToken) {
		t.Fatalf("second use: %v", err)
	}
}

func TestUserMutations(t *testing.T) {
	t.Parallel()
	u, err := domain.NewUser("a@b.io", "A", "h", t0)
	if err != nil || u.ID.Version() != 7 || u.EmailVerified() {
		t.Fatalf("NewUser: %+v %v", u, err)
	}
	u.MarkEmailVerified(t0.Add(time.Minute))
	u.MarkEmailVerified(t0.Add(time.Hour))
	if !u.EmailVerifiedAt.Equal(t0.Add(time.Minute)) || !u.UpdatedAt.Equal(t0.Add(time.Minute)) {
		t.Fatal("verification must keep its first time")
	}
	u.Rename("B", t0.Add(2*time.Hour))
	u.SetPasswordHash("h2", t0.Add(3*time.Hour))
	if u.DisplayName != "B" || u.PasswordHash != "h2" || !u.UpdatedAt.Equal(t0.Add(3*time.Hour)) {
		t.Fatalf("mutations: %+v", u)
	}
}
