package postgres_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/chatforge/chat/migrations"
	"github.com/chatforge/chat/modules/identity/identitytest"
	"github.com/chatforge/chat/modules/identity/internal/adapters/postgres"
	"github.com/chatforge/chat/modules/identity/internal/app"
	"github.com/chatforge/chat/modules/identity/internal/domain"
	"github.com/chatforge/chat/platform/config"
	"github.com/chatforge/chat/platform/database"
	"github.com/chatforge/chat/platform/testenv"
)

// openDB returns a pool on a fresh, migrated database, opened the way the
// api opens it (platform/database: TranslateError, pgx statement cache).
func openDB(t testing.TB) *gorm.DB {
	t.Helper()
	dsn := testenv.Postgres(t, migrations.FS)
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	db, err := database.Open(context.Background(), config.Postgres{URL: dsn, MaxOpenConns: 10, MaxIdleConns: 10}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			_ = sqlDB.Close()
		}
	})
	return db
}

func TestStoreContract(t *testing.T) {
	t.Parallel()
	identitytest.StoreContract(t, func(t *testing.T) app.Store { return postgres.New(openDB(t)) })
}

// TestEmailUniqueIsCaseInsensitive checks the schema, not only the
// application: a non-normalized address cannot even be stored.
func TestEmailUniqueIsCaseInsensitive(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	s := postgres.New(db)
	now := time.Now().UTC().Truncate(time.Microsecond)
	u, _ := domain.NewUser("Mixed@Example.com", "M", "h", now)
	_, tok := domain.NewEmailToken(u.ID, domain.PurposeVerify, now, time.Hour)
	err := s.CreateUser(context.Background(), u, tok)
	if err == nil || errors.Is(err, domain.ErrEmailTaken) {
		t.Fatalf("the CHECK constraint must refuse a non-normalized e-mail: %v", err)
	}
}

// newApp runs the real use cases over the PostgreSQL store.
func newApp(t testing.TB, db *gorm.DB) (*app.App, *identitytest.Revoker) {
	t.Helper()
	h, err := domain.NewHasher(domain.HashParams{Memory: 1024, Iterations: 1, Parallelism: 1})
	if err != nil {
		t.Fatal(err)
	}
	rev := &identitytest.Revoker{}
	a, err := app.New(app.Deps{
		Store: postgres.New(db), Mailer: &identitytest.Mailer{}, Resets: &identitytest.Mailer{}, Tokens: &identitytest.Tokens{}, Revoker: rev, Hasher: h,
		Config: app.Config{RefreshTTL: time.Hour, VerifyTTL: time.Hour},
	})
	if err != nil {
		t.Fatal(err)
	}
	return a, rev
}

// TestConcurrentRefreshOnlyOneWins races refreshes of one token: the row
// lock must let exactly one rotate; the others see it spent, which is reuse
// and revokes the session.
func TestConcurrentRefreshOnlyOneWins(t *testing.T) {
	t.Parallel()
	db := openDB(t)
	a, rev := newApp(t, db)
	ctx := context.Background()
	if _, err := a.Register(ctx, app.RegisterInput{Email: "race@example.com", Password: "password1", DisplayName: "R"}); err != nil {
		t.Fatal(err)
	}
	const rounds, racers = 5, 4
	for range rounds {
		tok, _, err := a.Login(ctx, app.LoginInput{Email: "race@example.com", Password: "password1"})
		if err != nil {
			t.Fatal(err)
		}
		var (
			wg    sync.WaitGroup
			start = make(chan struct{})
			errs  = make(chan error, racers)
		)
		for range racers {
			wg.Go(func() {
				<-start
				_, err := a.Refresh(ctx, tok.RefreshToken)
				errs <- err
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		won := 0
		for err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, domain.ErrRefreshReused):
				t.Errorf("loser got %v; want ErrRefreshReused", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d of %d concurrent refreshes succeeded; want exactly 1", won, racers)
		}
		if !rev.IsRevoked(tok.SessionID) {
			t.Fatal("the detected reuse must revoke the session")
		}
	}
}
