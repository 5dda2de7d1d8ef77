package harness

import "testing"

// Start starts a stopped or killed process again on the same address and
// waits until it is ready (Kill then Start is a crash and a restart).
func (p *Proc) Start(t testing.TB) {
	t.Helper()
	p.start(t)
}
