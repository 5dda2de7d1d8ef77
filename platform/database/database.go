// Package database opens the PostgreSQL connection pool (gorm over the pgx
// driver), exports its pool statistics to Prometheus and applies the goose
// migrations. The schema comes only from migrations, never from gorm
// AutoMigrate.
package database

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/chatforge/chat/platform/config"
)

// Open connects to cfg.URL with the pool limits of cfg and checks the
// connection with ctx. Queries are logged to log only when they fail
// unexpectedly or run slowly (see gormLogger). Driver errors are translated to
// gorm's (gorm.ErrDuplicatedKey, gorm.ErrForeignKeyViolated, ...) so
// repositories can map them to their sentinels without importing pgx, and
// connection-level failures are marked outage.ErrUnavailable (Classify), so
// every edge answers them "retry later" rather than as bugs.
//
// Statements are prepared and cached per connection by pgx (its default
// statement cache), inside transactions too: the hot path runs a few
// queries over and over, each one round trip, planned once per connection
// unless PostgreSQL prefers custom plans. gorm's own PrepareStmt is off:
// it binds a statement to the transaction that first prepared it, so in
// every later transaction database/sql re-prepared it and closed it at
// commit, three round trips (Parse, Bind, Close) and a fresh plan for each
// statement in a transaction. This needs session-level pooling if a
// PgBouncer sits in front.
//
// cfg.StatementTimeout, when positive, becomes the statement_timeout of
// every connection (a startup parameter, overriding one in the URL). It is
// not applied to migrations (Migrate opens its own connection): building
// an index may rightly take longer.
func Open(ctx context.Context, cfg config.Postgres, log *slog.Logger) (*gorm.DB, error) {
	dsn, err := withStatementTimeout(cfg.URL, cfg.StatementTimeout)
	if err != nil {
		return nil, err
	}
	db, err := gorm.Open(dialector{postgres.Open(dsn).(*postgres.Dialector)}, &gorm.Config{
		Logger:         newGormLogger(log),
		TranslateError: true,
		PrepareStmt:    false,
		// gorm's own ping takes no context; ours below does.
		DisableAutomaticPing: true,
	})
	if err != nil {
		return nil, fmt.Errorf("database: open: %w", err)
	}
	if err := classifyRows(db); err != nil {
		return nil, fmt.Errorf("database: open: %w", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("database: open: %w", err)
	}
	sqlDB.SetMaxOpenConns(cfg.MaxOpenConns)
	sqlDB.SetMaxIdleConns(cfg.MaxIdleConns)
	sqlDB.SetConnMaxLifetime(cfg.ConnMaxLifetime)
	sqlDB.SetConnMaxIdleTime(cfg.ConnMaxIdleTime)
	if err := sqlDB.PingContext(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("database: ping: %w", Classify(err))
	}
	return db, nil
}

// withStatementTimeout adds statement_timeout (in milliseconds, at least
// one) to the query of a postgres:// URL; pgx sends the query parameters it
// does not know itself as run-time parameters when it connects. d <= 0
// leaves the URL as it is.
func withStatementTimeout(dsn string, d time.Duration) (string, error) {
	if d <= 0 {
		return dsn, nil
	}
	u, err := url.Parse(dsn)
	if err != nil {
		// Not quoted: the URL may hold a password.
		return "", errors.New("database: open: DATABASE_URL is not a valid URL")
	}
	q := u.Query()
	q.Set("statement_timeout", strconv.FormatInt(max(d.Milliseconds(), 1), 10))
	u.RawQuery = q.Encode()
	return u.String(), nil
}
