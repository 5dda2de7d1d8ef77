// Package wire is the messaging module's stream contract: the commands a
// gateway appends to the command stream, the replies an api appends to a
// gateway's reply stream, the events the relay appends to the event streams
// (EVENTS.md), their stream names and their encoding.
//
// It imports no storage or HTTP code (no gorm, pgx or gin; scripts/archlint.sh
// checks it), so the gateway links it without the module's storage side. The
// module's root package re-exports these names.
package wire
