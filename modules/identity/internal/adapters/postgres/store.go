// Package postgres is the PostgreSQL adapter of the identity module: gorm
// repositories behind the app ports. Row structs are unexported and
// converted with toRow/toDomain; the schema comes only from migrations/.
// Every transaction starts and ends inside one method: callers pass an
// update function instead of holding a transaction.
//
// Lock order, followed by every method so that concurrent transactions
// cannot deadlock: token row (refresh or e-mail) -> user -> sessions.
package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/chatforge/chat/modules/identity/internal/app"
)

// Store implements app.Store over PostgreSQL. Safe for concurrent use.
type Store struct{ db *gorm.DB }

var _ app.Store = (*Store)(nil)

// New returns a Store over db (from platform/database.Open).
func New(db *gorm.DB) *Store { return &Store{db: db} }

// forUpdate locks the selected rows until the transaction ends. NO KEY
// UPDATE rather than UPDATE: we never change a primary key, and the weaker
// lock does not block the KEY SHARE lock that inserting a referencing row
// takes, so a login (new session -> users) does not wait for a concurrent
// profile update of the same user.
var forUpdate = clause.Locking{Strength: "NO KEY UPDATE"}

// tx runs fn in a transaction bound to ctx.
func (s *Store) tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return s.db.WithContext(ctx).Transaction(fn)
}

// uniqueViolation reports a unique-constraint violation, whether the driver
// error was translated by gorm (TranslateError, as platform/database opens
// it) or not.
func uniqueViolation(err error) bool {
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return true
	}
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "23505"
}

// notFound reports gorm's "no row" error.
func notFound(err error) bool { return errors.Is(err, gorm.ErrRecordNotFound) }
