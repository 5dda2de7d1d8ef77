package chaos

import (
	"fmt"
	"testing"

	"github.com/chatforge/chat/tests/e2e/harness"
)

// testCluster is the stack under test and the harness stack it is built on.
type testCluster struct {
	cluster
	s *harness.Stack
}

// startCluster starts a private PostgreSQL and Redis, 2 apis, 2 gateways
// and a worker, configured like the e2e suite's (tests/e2e) but with info
// logs (minutes of debug logs are large) and quick command claiming.
func startCluster(t *testing.T) *testCluster {
	t.Helper()
	pg := harness.StartPrivatePostgres(t)
	rd := harness.StartPrivateRedis(t)
	s := harness.NewStack(t, harness.Options{
		APIs: 2, DatabaseURL: pg.URL, RedisURL: rd.URL,
		Env: map[string]string{
			"LOG_LEVEL":              "info",
			"COMMAND_CLAIM_MIN_IDLE": "2s",
			"COMMAND_CLAIM_INTERVAL": "500ms",
		},
	})
	c := &testCluster{cluster: cluster{pg: pg, redis: rd, apis: s.APIs}, s: s}
	for i := range 2 {
		addr := harness.FreeAddr(t)
		env := map[string]string{
			"APP_ENV":              "test",
			"LOG_LEVEL":            "info",
			"REDIS_URL":            rd.URL,
			"GATEWAY_ADDR":         addr,
			"JWKS_URL":             s.APIs[0].URL() + "/.well-known/jwks.json",
			"PRESENCE_TTL":         "3s",
			"COMMAND_TIMEOUT":      "3s",
			"SHUTDOWN_TIMEOUT":     "5s",
			"REPLAY_MAX":           "50", // small: resumes also take the REST path
			"WS_RATE_PER_SEC":      "1000",
			"WS_RATE_BURST":        "1000",
			"WS_USER_RATE_PER_SEC": "1000",
			"WS_USER_RATE_BURST":   "1000",
		}
		c.gateways = append(c.gateways, harness.StartProc(t, fmt.Sprintf("gateway-%d", i),
			harness.Binary(t, "./apps/gateway"), "http://"+addr+"/readyz", nil, harness.Env(env)))
	}
	addr := harness.FreeAddr(t)
	c.worker = harness.StartProc(t, "worker", harness.Binary(t, "./apps/worker"), "http://"+addr+"/readyz", nil,
		harness.Env(map[string]string{
			"DATABASE_URL":            pg.URL,
			"REDIS_URL":               rd.URL,
			"WORKER_ADDR":             addr,
			"WORKER_ID":               "worker",
			"APP_ENV":                 "test",
			"LOG_LEVEL":               "info",
			"PUBLIC_BASE_URL":         s.APIs[0].URL(),
			"SMTP_FROM":               "Chatforge Test <no-reply@chatforge.test>",
			"WORKER_CONCURRENCY":      "4",
			"WORKER_SHUTDOWN_TIMEOUT": "5s",
			"DB_MAX_OPEN_CONNS":       "5",
			"DB_MAX_IDLE_CONNS":       "2",
		}))
	return c
}
