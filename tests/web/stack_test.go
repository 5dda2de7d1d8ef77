package web

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chatforge/chat/tests/e2e/harness"
)

// stack is every binary the web app talks to, on free loopback ports.
type stack struct {
	*harness.Stack
	gateway *harness.Proc
	worker  *harness.Proc
	web     *harness.Proc
	mail    *mailpit
	gwEnv   map[string]string
}

// startStack starts one api, one gateway and the web binary, and with mail
// Mailpit and a worker sending to it. E-mail links point at the web app
// (PUBLIC_BASE_URL) and the api allows its origin (CORS), as `go tool task
// up` arranges in development. gatewayEnv adds gateway settings (e.g. a
// small REPLAY_MAX).
func startStack(t *testing.T, mail bool, gatewayEnv map[string]string) *stack {
	t.Helper()
	if testing.Short() {
		t.Skip("starts processes; skipped with -short")
	}
	webAddr := harness.FreeAddr(t)
	webURL := "http://" + webAddr
	s := &stack{}
	s.Stack = harness.NewStack(t, harness.Options{Env: map[string]string{
		"CORS_ALLOWED_ORIGINS": webURL,
		"PUBLIC_BASE_URL":      webURL,
	}})
	api := s.APIs[0].URL()

	gwAddr := harness.FreeAddr(t)
	s.gwEnv = map[string]string{
		"APP_ENV": "test", "LOG_LEVEL": "debug",
		"REDIS_URL": s.RedisURL, "GATEWAY_ADDR": gwAddr, "JWKS_URL": api + "/.well-known/jwks.json",
		"PRESENCE_TTL": "3s", "TYPING_TTL": "3s", "COMMAND_TIMEOUT": "3s", "SHUTDOWN_TIMEOUT": "2s",
		"WS_RATE_PER_SEC": "1000", "WS_RATE_BURST": "1000", "WS_USER_RATE_PER_SEC": "1000", "WS_USER_RATE_BURST": "1000",
	}
	for k, v := range gatewayEnv {
		s.gwEnv[k] = v
	}
	s.gateway = harness.StartProc(t, "gateway", harness.Binary(t, "./apps/gateway"), "http://"+gwAddr+"/readyz", nil, harness.Env(s.gwEnv))

	if mail {
		s.mail = startMailpit(t)
		s.worker = startWorker(t, s, webURL)
	}

	s.web = harness.StartProc(t, "web", harness.Binary(t, "./apps/web"), webURL+"/readyz", nil, harness.Env(map[string]string{
		"WEB_ADDR": webAddr, "WEB_API_URL": api, "WEB_GATEWAY_URL": "http://" + gwAddr, "APP_ENV": "test",
	}))
	return s
}

// startWorker starts a worker that mails through s.mail.
func startWorker(t *testing.T, s *stack, webURL string) *harness.Proc {
	t.Helper()
	wkAddr := harness.FreeAddr(t)
	return harness.StartProc(t, "worker", harness.Binary(t, "./apps/worker"), "http://"+wkAddr+"/readyz", nil, harness.Env(map[string]string{
		"DATABASE_URL": s.DatabaseURL, "REDIS_URL": s.RedisURL, "WORKER_ADDR": wkAddr, "WORKER_ID": "worker",
		"APP_ENV": "test", "LOG_LEVEL": "debug", "PUBLIC_BASE_URL": webURL, "SMTP_ADDR": s.mail.SMTPAddr,
		"SMTP_FROM": "Chatforge Test <no-reply@chatforge.test>", "WORKER_SHUTDOWN_TIMEOUT": "5s",
		"DB_MAX_OPEN_CONNS": "5", "DB_MAX_IDLE_CONNS": "2",
	}))
}

// restartGateway starts a new gateway on the address of the first (after
// a test killed it).
func (s *stack) restartGateway(t *testing.T) {
	t.Helper()
	s.gateway = harness.StartProc(t, "gateway-2", harness.Binary(t, "./apps/gateway"), s.gateway.URL()+"/readyz", nil, harness.Env(s.gwEnv))
}

// need returns the path of a program or skips the test without it (fails
// under CI=true, whose runner installs every tool the tests need).
func need(t *testing.T, name, env string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		return p
	}
	p, err := exec.LookPath(name)
	if err != nil {
		msg := name + " not found on PATH (set " + env + "); .ci/run installs it"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

// repoFile is a path under the module root.
func repoFile(t *testing.T, rel string) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	return filepath.Join(filepath.Dir(strings.TrimSpace(string(out))), rel)
}
