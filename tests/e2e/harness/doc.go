// Package harness runs the chat binaries as real processes for black-box
// end-to-end tests.
//
// NewStack builds the binaries once per test process, gives the stack a fresh
// PostgreSQL database (migrated) and a leased Redis database, and starts one
// or more api processes on free loopback ports, all signing with one shared
// JWT key. A Client talks HTTP to them and checks every request and response
// against the OpenAPI document (apps/api/openapi): a path, status, header or
// body the document does not describe fails the test.
//
// Concurrency: a Stack and its Procs may be used from parallel subtests; a
// Client belongs to the test that made it (it reports through that test's
// testing.TB) but is itself safe for concurrent use.
//
// Environment: TEST_DATABASE_URL and TEST_REDIS_URL (see platform/testenv);
// E2E_BUILD_FLAGS adds flags to `go build` (e.g. "-race" to race-check the
// servers); E2E_LOGS=1 prints process logs even when a test passes.
package harness
