package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// Migrate runs a goose command over the SQL migrations in fsys (the root of
// fsys holds 00001_*.sql files) against dsn:
//
//	up      apply every pending migration
//	down    roll back the latest applied migration
//	status  log each migration as applied or pending
//
// Each applied or rolled back version is logged. A PostgreSQL advisory lock
// serialises concurrent runs (several instances deploying at once); the
// migrations of one database never run twice.
func Migrate(ctx context.Context, dsn string, fsys fs.FS, command string, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	switch command {
	case "up", "down", "status":
	default:
		return fmt.Errorf("database: unknown migrate command %q (want up, down or status)", command)
	}
	connCfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return fmt.Errorf("database: migrate: %w", err)
	}
	// A dedicated short-lived *sql.DB over pgx: goose needs database/sql,
	// and OpenDB avoids the global driver registry.
	db := stdlib.OpenDB(*connCfg)
	defer db.Close()

	p, err := newProvider(db, fsys)
	if err != nil {
		return err
	}
	switch command {
	case "up":
		return migrateUp(ctx, p, log)
	case "down":
		return migrateDown(ctx, p, log)
	default:
		return migrateStatus(ctx, p, log)
	}
}

func newProvider(db *sql.DB, fsys fs.FS) (*goose.Provider, error) {
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, fmt.Errorf("database: migrate lock: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithSessionLocker(locker),
		// Only our SQL files: no Go migrations from goose's global registry.
		goose.WithDisableGlobalRegistry(true),
	)
	if err != nil {
		return nil, fmt.Errorf("database: migrate: %w", err)
	}
	return p, nil
}

func migrateUp(ctx context.Context, p *goose.Provider, log *slog.Logger) error {
	results, err := p.Up(ctx)
	if pe := (*goose.PartialError)(nil); errors.As(err, &pe) {
		// Up returns no results on failure; the error carries them.
		results = append(pe.Applied, pe.Failed)
	}
	for _, r := range results {
		logResult(ctx, log, r)
	}
	if err != nil {
		return fmt.Errorf("database: migrate up: %w", err)
	}
	v, err := p.GetDBVersion(ctx)
	if err != nil {
		return fmt.Errorf("database: migrate up: %w", err)
	}
	log.InfoContext(ctx, "database migrated", "version", v, "applied", len(results))
	return nil
}

func migrateDown(ctx context.Context, p *goose.Provider, log *slog.Logger) error {
	r, err := p.Down(ctx)
	if errors.Is(err, goose.ErrNoNextVersion) {
		log.InfoContext(ctx, "no migration to roll back")
		return nil
	}
	if pe := (*goose.PartialError)(nil); errors.As(err, &pe) {
		r = pe.Failed
	}
	if r != nil {
		logResult(ctx, log, r)
	}
	if err != nil {
		return fmt.Errorf("database: migrate down: %w", err)
	}
	return nil
}

func migrateStatus(ctx context.Context, p *goose.Provider, log *slog.Logger) error {
	statuses, err := p.Status(ctx)
	if err != nil {
		return fmt.Errorf("database: migrate status: %w", err)
	}
	for _, s := range statuses {
		attrs := []any{"version", s.Source.Version, "file", path.Base(s.Source.Path), "state", string(s.State)}
		if s.State == goose.StateApplied {
			attrs = append(attrs, "applied_at", s.AppliedAt)
		}
		log.InfoContext(ctx, "migration", attrs...)
	}
	return nil
}

func logResult(ctx context.Context, log *slog.Logger, r *goose.MigrationResult) {
	attrs := []any{
		"version", r.Source.Version, "file", path.Base(r.Source.Path),
		"direction", r.Direction, "duration", r.Duration,
	}
	if r.Error != nil {
		log.ErrorContext(ctx, "migration failed", append(attrs, "error", r.Error)...)
		return
	}
	log.InfoContext(ctx, "migration applied", attrs...)
}
