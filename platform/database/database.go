// Package database opens the PostgreSQL connection pool (gorm over the pgx
// driver), exports its pool statistics to Prometheus and applies the goose
// migrations. The schema comes only from migrations, never from gorm
// AutoMigrate.
package database

import (
	"context"
	"fmt"
	"log/slog"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/chatforge/chat/platform/config"
)

// Open connects to cfg.URL with the pool limits of cfg and checks the
// connection with ctx. Queries are logged to log only when they fail
// unexpectedly or run slowly (see gormLogger). Driver errors are translated to
// gorm's (gorm.ErrDuplicatedKey, gorm.ErrForeignKeyViolated, ...) so
// repositories can map them to their sentinels without importing pgx.
//
// Statements are prepared and cached per connection (PrepareStmt): the hot
// path runs a few queries over and over. This needs session-level pooling
// if a PgBouncer sits in front.
func Open(ctx context.Context, cfg config.Postgres, log *slog.Logger) (*gorm.DB, error) {
	db, err := gorm.Open(postgres.Open(cfg.URL), &gorm.Config{
		Logger:         newGormLogger(log),
		TranslateError: true,
		PrepareStmt:    true,
		// gorm's own ping takes no context; ours below does.
		DisableAutomaticPing: true,
	})
	if err != nil {
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
		return nil, fmt.Errorf("database: ping: %w", err)
	}
	return db, nil
}
