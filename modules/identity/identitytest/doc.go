// Package identitytest provides in-memory fakes of the identity ports for
// unit tests: Store (every persistence port), Mailer, Revoker and Tokens.
// Each fake is safe for concurrent use and emulates the transactional
// contract of the real adapter: callbacks work on copies that are saved only
// when they return nil, under one lock, so rotations are serialized like
// the row lock serializes them in PostgreSQL.
package identitytest
