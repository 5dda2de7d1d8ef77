// Package postgres holds the notify module's gorm repositories: the e-mail
// ledger (idempotency of e-mail tasks), the push subscriptions and the
// recipient queries over the messaging tables. The schema comes from
// migrations/00003_notify.sql; row structs stay unexported here.
package postgres
