// Package chaos is the chaos suite: the real binaries (2 apis, 2 gateways,
// a worker) on a PostgreSQL and a Redis private to the test, while senders
// and receivers chat over the socket and the test kills processes and
// restarts the servers at random (seeded) moments. At the end every acked
// message must be stored exactly once and every receiver must have seen
// every message once, in order, with no gap. Skipped with -short.
//
// Settings: CHAOS_SEED (default: the clock; printed), CHAOS_DURATION (the
// fault phase, default 90s).
package chaos

import (
	"testing"

	"github.com/chatforge/chat/tests/e2e/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }
