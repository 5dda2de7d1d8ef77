package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/chatforge/chat/tests/e2e/harness"
)

// This file starts the worker binary beside a harness.Stack (the real SMTP
// server the worker tests also need is in worker_mailpit_test.go).

// startWorker starts a worker for stack s. The worker's PUBLIC_BASE_URL is
// the first api's, as identity builds its links there; env overrides.
func startWorker(t *testing.T, s *harness.Stack, name string, env map[string]string) *harness.Proc {
	t.Helper()
	addr := harness.FreeAddr(t)
	e := map[string]string{
		"DATABASE_URL":            s.DatabaseURL,
		"WORKER_ADDR":             addr,
		"WORKER_ID":               name,
		"APP_ENV":                 "test",
		"LOG_LEVEL":               "debug",
		"PUBLIC_BASE_URL":         s.APIs[0].URL(),
		"SMTP_FROM":               "Chatforge Test <no-reply@chatforge.test>",
		"WORKER_CONCURRENCY":      "4",
		"WORKER_SHUTDOWN_TIMEOUT": "5s",
		"DB_MAX_OPEN_CONNS":       "5",
		"DB_MAX_IDLE_CONNS":       "2",
	}
	for k, v := range s.RedisEnv() {
		e[k] = v
	}
	for k, v := range env {
		e[k] = v
	}
	return harness.StartProc(t, name, harness.Binary(t, "./apps/worker"), "http://"+addr+"/readyz", nil, harness.Env(e))
}

// eventually polls cond every 100 ms until it holds or d passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out after %s waiting for %s", d, what)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
