// Package tasks holds the notify module's incoming asynq adapters: one
// handler per task type, decoding the payload, calling the use case and
// turning its errors into asynq's retry semantics (retry with back-off,
// archive with SkipRetry, or come back later without counting a failure).
package tasks
