package app_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/chatforge/chat/modules/identity/identitytest"
	"github.com/chatforge/chat/modules/identity/internal/app"
	"github.com/chatforge/chat/modules/identity/internal/domain"
)

// fixture is an App on in-memory fakes with a settable clock.
type fixture struct {
	*app.App
	store   *identitytest.Store
	mail    *identitytest.Mailer
	revoker *identitytest.Revoker

	mu  sync.Mutex
	now time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	h, err := domain.NewHasher(domain.HashParams{Memory: 1024, Iterations: 1, Parallelism: 1})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{
		store: identitytest.NewStore(), mail: &identitytest.Mailer{}, revoker: &identitytest.Revoker{},
		now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC),
	}
	f.App, err = app.New(app.Deps{
		Store: f.store, Mailer: f.mail, Resets: f.mail, Tokens: &identitytest.Tokens{}, Revoker: f.revoker, Hasher: h,
		Config: app.Config{RefreshTTL: 30 * 24 * time.Hour, VerifyTTL: 24 * time.Hour},
		Now:    f.clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

const pw = "s3cret-passw0rd"

// signup registers and logs in a user.
func (f *fixture) signup(t *testing.T, email string) (domain.User, app.Tokens) {
	t.Helper()
	ctx := context.Background()
	u, err := f.Register(ctx, app.RegisterInput{Email: email, Password: pw, DisplayName: "Ada"})
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	tok, _, err := f.Login(ctx, app.LoginInput{Email: email, Password: pw, UserAgent: "test", IP: "192.0.2.1"})
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	return u, tok
}

func principal(t *testing.T, u domain.User, tok app.Tokens) app.Principal {
	t.Helper()
	return app.Principal{UserID: u.ID, SessionID: mustUUID(t, tok.SessionID)}
}

func wantField(t *testing.T, err error, field string) {
	t.Helper()
	var ie *domain.InvalidError
	if !errors.As(err, &ie) || ie.Field != field {
		t.Fatalf("err = %v; want an invalid-input error on %q", err, field)
	}
}

func TestNewRequiresDeps(t *testing.T) {
	t.Parallel()
	if _, err := app.New(app.Deps{}); err == nil {
		t.Fatal("New accepted empty deps")
	}
}
