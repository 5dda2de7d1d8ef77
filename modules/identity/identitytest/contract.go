package identitytest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chatforge/chat/modules/identity/internal/app"
	"github.com/chatforge/chat/modules/identity/internal/domain"
)

// StoreContract runs the behaviour every app.Store must have against the
// stores newStore makes (one per subtest, empty). The fake Store and the
// PostgreSQL adapter both run it, so the fake cannot drift from the real
// thing unnoticed.
func StoreContract(t *testing.T, newStore func(t *testing.T) app.Store) {
	tests := map[string]func(*testing.T, app.Store){
		"users":          contractUsers,
		"sessions":       contractSessions,
		"rotate refresh": contractRotate,
		"email tokens":   contractEmailTokens,
		"reset password": contractResetPassword,
		"change pw":      contractChangePassword,
	}
	for name, fn := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, newStore(t))
		})
	}
}

// now is a fixed microsecond-precision time, as the app passes them.
var now = time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)

func mustUser(t *testing.T, s app.Store, email string) domain.User {
	t.Helper()
	u, err := domain.NewUser(domain.Email(email), "Name", "$argon2id$fake", now)
	if err != nil {
		t.Fatal(err)
	}
	_, tok := domain.NewEmailToken(u.ID, domain.PurposeVerify, now, time.Hour)
	if err := s.CreateUser(context.Background(), u, tok); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	return u
}

func mustSession(t *testing.T, s app.Store, userID uuid.UUID, at time.Time) (domain.Session, domain.RefreshToken) {
	t.Helper()
	sess, err := domain.NewSession(userID, "ua", "198.51.100.7", at, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	_, rt := domain.NewRefreshToken(sess.ID, at)
	if err := s.CreateSession(context.Background(), sess, rt); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	return sess, rt
}

func contractUsers(t *testing.T, s app.Store) {
	ctx := context.Background()
	u := mustUser(t, s, "ada@example.com")
	dup, _ := domain.NewUser("ada@example.com", "Other", "h", now)
	_, tok := domain.NewEmailToken(dup.ID, domain.PurposeVerify, now, time.Hour)
	if err := s.CreateUser(ctx, dup, tok); !errors.Is(err, domain.ErrEmailTaken) {
		t.Fatalf("duplicate email: %v", err)
	}
	byEmail, err := s.UserByEmail(ctx, "ada@example.com")
	if err != nil || byEmail.ID != u.ID || !byEmail.CreatedAt.Equal(now) || byEmail.PasswordHash != u.PasswordHash {
		t.Fatalf("UserByEmail: %+v %v", byEmail, err)
	}
	if _, err := s.UserByEmail(ctx, "nobody@example.com"); !errors.Is(err, domain.ErrUserNotFound) {
		t.Fatalf("unknown email: %v", err)
	}
	if _, err := s.UserByID(ctx, uuid.New()); !errors.Is(err, domain.ErrUserNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
	later := now.Add(time.Hour)
	got, err := s.UpdateUser(ctx, u.ID, func(u *domain.User) error {
		u.Rename("Grace", later)
		u.MarkEmailVerified(later)
		return nil
	})
	if err != nil || got.DisplayName != "Grace" {
		t.Fatalf("UpdateUser: %+v %v", got, err)
	}
	back, _ := s.UserByID(ctx, u.ID)
	if back.DisplayName != "Grace" || !back.EmailVerified() || !back.UpdatedAt.Equal(later) || !back.EmailVerifiedAt.Equal(later) {
		t.Fatalf("update not persisted: %+v", back)
	}
	boom := errors.New("boom")
	if _, err := s.UpdateUser(ctx, u.ID, func(u *domain.User) error { u.Rename("X", later); return boom }); !errors.Is(err, boom) {
		t.Fatalf("fn error must be returned: %v", err)
	}
	if back, _ := s.UserByID(ctx, u.ID); back.DisplayName != "Grace" {
		t.Fatal("a failed update must not be persisted")
	}
}

func contractSessions(t *testing.T, s app.Store) {
	ctx := context.Background()
	a, b := mustUser(t, s, "a@example.com"), mustUser(t, s, "b@example.com")
	old, _ := mustSession(t, s, a.ID, now)
	mid, _ := mustSession(t, s, a.ID, now.Add(time.Minute))
	newest, _ := mustSession(t, s, a.ID, now.Add(2*time.Minute))
	other, _ := mustSession(t, s, b.ID, now)

	at := now.Add(3 * time.Minute)
	list, err := s.ListSessions(ctx, a.ID, at)
	if err != nil || len(list) != 3 || list[0].ID != newest.ID || list[2].ID != old.ID {
		t.Fatalf("ListSessions: %+v %v", list, err)
	}
	if list[0].UserAgent != "ua" || list[0].IP != "198.51.100.7" || !list[0].ExpiresAt.Equal(newest.ExpiresAt) {
		t.Fatalf("session fields: %+v", list[0])
	}
	if err := s.RevokeSession(ctx, a.ID, other.ID, at); !errors.Is(err, domain.ErrSessionNotFound) {
		t.Fatalf("revoking another user's session: %v", err)
	}
	if err := s.RevokeSession(ctx, a.ID, mid.ID, at); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeSession(ctx, a.ID, mid.ID, at); !errors.Is(err, domain.ErrSessionNotFound) {
		t.Fatalf("revoking twice: %v", err)
	}
	// At +24h+1m the first session has expired: only newest is left live.
	list, _ = s.ListSessions(ctx, a.ID, now.Add(24*time.Hour+time.Minute))
	if len(list) != 1 || list[0].ID != newest.ID {
		t.Fatalf("revoked and expired sessions must not be listed: %+v", list)
	}
}

func contractRotate(t *testing.T, s app.Store) {
	ctx := context.Background()
	u := mustUser(t, s, "a@example.com")
	sess, rt := mustSession(t, s, u.ID, now)
	at := now.Add(time.Minute)

	if err := s.RotateRefresh(ctx, domain.HashToken("unknown"), func(*domain.Rotation) error { return nil }); !errors.Is(err, domain.ErrInvalidRefreshToken) {
		t.Fatalf("unknown token: %v", err)
	}
	boom := errors.New("boom")
	if err := s.RotateRefresh(ctx, rt.Hash, func(r *domain.Rotation) error {
		_, next := domain.NewRefreshToken(sess.ID, at)
		_ = r.Rotate(next, at)
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("fn error: %v", err)
	}
	var next domain.RefreshToken
	if err := s.RotateRefresh(ctx, rt.Hash, func(r *domain.Rotation) error {
		if r.Token.SpentAt != nil || r.Session.ID != sess.ID {
			t.Errorf("a failed rotation must roll back: %+v", r)
		}
		_, next = domain.NewRefreshToken(sess.ID, at)
		return r.Rotate(next, at)
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.RotateRefresh(ctx, next.Hash, func(r *domain.Rotation) error {
		if r.Token.SpentAt != nil || !r.Session.LastUsedAt.Equal(at) {
			t.Errorf("next token must be stored unspent and the session touched: %+v", r)
		}
		return errors.New("look only")
	}); err == nil {
		t.Fatal("want the fn error")
	}
	// Reuse: fn revokes the session and asks to commit.
	if err := s.RotateRefresh(ctx, rt.Hash, func(r *domain.Rotation) error {
		if r.Token.SpentAt == nil {
			t.Error("the first token must be spent")
		}
		r.Session.Revoke(at)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.ListSessions(ctx, u.ID, at); len(list) != 0 {
		t.Fatalf("session must be revoked: %+v", list)
	}
}

func contractEmailTokens(t *testing.T, s app.Store) {
	ctx := context.Background()
	u := mustUser(t, s, "a@example.com")
	_, tok := domain.NewEmailToken(u.ID, domain.PurposeVerify, now, time.Hour)
	if err := s.CreateEmailToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	noop := func(*domain.EmailToken, *domain.User) error { return nil }
	if err := s.VerifyEmail(ctx, domain.HashToken("unknown"), noop); !errors.Is(err, domain.ErrInvalidToken) {
		t.Fatalf("unknown token: %v", err)
	}
	at := now.Add(time.Minute)
	use := func(tk *domain.EmailToken, u *domain.User) error {
		if err := tk.Use(domain.PurposeVerify, at); err != nil {
			return err
		}
		u.MarkEmailVerified(at)
		return nil
	}
	if err := s.VerifyEmail(ctx, tok.Hash, use); err != nil {
		t.Fatal(err)
	}
	if err := s.VerifyEmail(ctx, tok.Hash, use); !errors.Is(err, domain.ErrInvalidToken) {
		t.Fatalf("second use: %v", err)
	}
	if got, _ := s.UserByID(ctx, u.ID); !got.EmailVerified() {
		t.Fatal("user must be verified")
	}
}

func contractResetPassword(t *testing.T, s app.Store) {
	ctx := context.Background()
	u, other := mustUser(t, s, "a@example.com"), mustUser(t, s, "b@example.com")
	s1, _ := mustSession(t, s, u.ID, now)
	s2, _ := mustSession(t, s, u.ID, now)
	keep, _ := mustSession(t, s, other.ID, now)
	_, tok := domain.NewEmailToken(u.ID, domain.PurposeReset, now, time.Hour)
	_, older := domain.NewEmailToken(u.ID, domain.PurposeReset, now, time.Hour)
	for _, tk := range []domain.EmailToken{tok, older} {
		if err := s.CreateEmailToken(ctx, tk); err != nil {
			t.Fatal(err)
		}
	}
	at := now.Add(time.Minute)
	set := func(tk *domain.EmailToken, u *domain.User) error {
		if err := tk.Use(domain.PurposeReset, at); err != nil {
			return err
		}
		u.SetPasswordHash("new-hash", at)
		return nil
	}
	revoked, err := s.ResetPassword(ctx, tok.Hash, at, set)
	if err != nil || len(revoked) != 2 || !containsAll(revoked, s1.ID, s2.ID) {
		t.Fatalf("ResetPassword: %v %v", revoked, err)
	}
	if got, _ := s.UserByID(ctx, u.ID); got.PasswordHash != "new-hash" {
		t.Fatal("password not set")
	}
	if _, err := s.ResetPassword(ctx, older.Hash, at, set); !errors.Is(err, domain.ErrInvalidToken) {
		t.Fatalf("older reset tokens must be spent: %v", err)
	}
	if list, _ := s.ListSessions(ctx, other.ID, at); len(list) != 1 || list[0].ID != keep.ID {
		t.Fatal("another user's sessions must survive")
	}
}

func contractChangePassword(t *testing.T, s app.Store) {
	ctx := context.Background()
	u := mustUser(t, s, "a@example.com")
	cur, _ := mustSession(t, s, u.ID, now)
	other, _ := mustSession(t, s, u.ID, now)
	at := now.Add(time.Minute)
	revoked, err := s.ChangePassword(ctx, u.ID, cur.ID, at, func(u *domain.User) error {
		u.SetPasswordHash("changed", at)
		return nil
	})
	if err != nil || len(revoked) != 1 || revoked[0] != other.ID {
		t.Fatalf("ChangePassword: %v %v", revoked, err)
	}
	if list, _ := s.ListSessions(ctx, u.ID, at); len(list) != 1 || list[0].ID != cur.ID {
		t.Fatalf("current session must survive: %+v", list)
	}
	if _, err := s.ChangePassword(ctx, uuid.New(), cur.ID, at, func(*domain.User) error { return nil }); !errors.Is(err, domain.ErrUserNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
}

func containsAll(ids []uuid.UUID, want ...uuid.UUID) bool {
	set := map[uuid.UUID]bool{}
	for _, id := range ids {
		set[id] = true
	}
	for _, w := range want {
		if !set[w] {
			return false
		}
	}
	return true
}
