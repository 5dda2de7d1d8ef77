// Package testenv gives tests their own slice of the real local PostgreSQL
// and Redis: a freshly created and migrated database per call, and a Redis
// logical database leased for the test's lifetime. Both are cleaned up with
// t.Cleanup. Use it in adapter and end-to-end tests only.
//
// Locations come from TEST_DATABASE_URL (default
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable; the role must
// be allowed to create databases) and TEST_REDIS_URL (default
// redis://127.0.0.1:6379/0; its DB 0 holds the leases, DBs 1..15 are handed
// out).
package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"os"
)

const (
	defaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	defaultRedisURL    = "redis://127.0.0.1:6379/0"
)

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// randomHex returns 2n random hex characters.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return hex.EncodeToString(b)
}
