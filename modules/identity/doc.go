// Package identity is the identity module's public face: accounts,
// sessions, access and refresh tokens, e-mail verification and password
// resets. Apps build it with New and mount its REST routes with
// (*Module).Routes; the worker imports the e-mail task contract
// (TaskVerifyEmail, TaskPasswordReset, EmailPayload) from here.
//
// Everything else lives under internal/: domain rules, use cases (app),
// outgoing adapters (PostgreSQL, asynq) and the HTTP port.
package identity
