// Package migrations holds the versioned SQL schema of the whole system as
// goose migrations (00001_<name>.sql, each with "-- +goose Up" and
// "-- +goose Down" sections), embedded so every binary can apply them with
// "migrate up" and tests can create databases from them. The schema comes
// only from here; gorm never migrates.
package migrations

import "embed"

// FS holds the migration files at its root, in version order by name.
//
//go:embed *.sql
var FS embed.FS
