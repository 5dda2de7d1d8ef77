package database

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"gorm.io/gorm"
	gormlogger "gorm.io/gorm/logger"

	"github.com/chatforge/chat/platform/outage"
)

// slowQuery is the duration above which a query is logged as slow.
const slowQuery = 200 * time.Millisecond

// gormLogger sends gorm's query log to slog: failed queries at Error, slow
// ones at Warn, nothing else. It logs with the query's context, so the
// request ID rides along. SQL is logged with placeholders, never with its
// arguments, which may be secrets (hashes, tokens) or personal data.
//
// Errors that are outcomes rather than faults are not logged: not found,
// unique violations (the repository answers "already exists") and
// cancellations (the client went away). Repositories turn them into
// sentinels; whatever reaches the edge unmapped is logged there.
type gormLogger struct {
	log *slog.Logger
}

var (
	_ gormlogger.Interface = gormLogger{}
	_ gorm.ParamsFilter    = gormLogger{}
)

func newGormLogger(log *slog.Logger) gormLogger {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return gormLogger{log: log.With("component", "gorm")}
}

// LogMode is a no-op: verbosity is the slog handler's business.
func (l gormLogger) LogMode(gormlogger.LogLevel) gormlogger.Interface { return l }

func (l gormLogger) Info(ctx context.Context, msg string, args ...any) {
	l.log.InfoContext(ctx, fmt.Sprintf(msg, args...))
}

func (l gormLogger) Warn(ctx context.Context, msg string, args ...any) {
	l.log.WarnContext(ctx, fmt.Sprintf(msg, args...))
}

func (l gormLogger) Error(ctx context.Context, msg string, args ...any) {
	l.log.ErrorContext(ctx, fmt.Sprintf(msg, args...))
}

// Trace is called by gorm after every statement.
func (l gormLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	elapsed := time.Since(begin)
	failed := err != nil && !expected(err)
	if !failed && elapsed <= slowQuery {
		return
	}
	sql, rows := fc()
	attrs := []any{"sql", withoutLiterals(sql), "rows", rows, "duration", elapsed}
	if failed {
		// An outage is logged, but it is not a fault of the statement.
		if errors.Is(Classify(err), outage.ErrUnavailable) {
			l.log.WarnContext(ctx, "query failed: database unavailable", append(attrs, "error", err)...)
			return
		}
		l.log.ErrorContext(ctx, "query failed", append(attrs, "error", err)...)
		return
	}
	l.log.WarnContext(ctx, "slow query", attrs...)
}

// stringLiteral is an SQL string literal (” escapes a quote inside).
var stringLiteral = regexp.MustCompile(`'(?:[^']|'')*'`)

// withoutLiterals blanks the string literals of logged SQL. ParamsFilter
// keeps arguments out of most statements, but gorm's Scan records the
// statement through a logger of its own that inlines them (message
// contents, emails, token hashes), and those must never reach the logs.
func withoutLiterals(sql string) string {
	if !strings.Contains(sql, "'") {
		return sql
	}
	return stringLiteral.ReplaceAllString(sql, "'…'")
}

// ParamsFilter drops the arguments, so fc above yields SQL with placeholders.
func (l gormLogger) ParamsFilter(_ context.Context, sql string, _ ...any) (string, []any) {
	return sql, nil
}

func expected(err error) bool {
	return errors.Is(err, gorm.ErrRecordNotFound) ||
		errors.Is(err, gorm.ErrDuplicatedKey) ||
		errors.Is(err, context.Canceled)
}
