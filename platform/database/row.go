package database

import (
	"database/sql"

	"gorm.io/gorm"
)

// ScanRow runs q and scans its first row into dest, like q.Row().Scan:
// sql.ErrNoRows when there is none. Use it instead of Row().Scan. With
// gorm's PrepareStmt, a statement that fails to prepare (a lost
// connection, the database restarting) makes gorm's Row return an empty
// sql.Row, whose Scan panics instead of returning the error; Rows returns
// it. Open no longer turns PrepareStmt on, but a *gorm.DB opened
// elsewhere may. Errors met while reading the row are classified (Classify) like
// gorm's own.
func ScanRow(q *gorm.DB, dest ...any) error {
	rows, err := q.Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return Classify(err)
		}
		return sql.ErrNoRows
	}
	if err := rows.Scan(dest...); err != nil {
		return Classify(err)
	}
	return Classify(rows.Close())
}
