package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/chatforge/chat/tests/e2e/harness"
)

// This file starts gateway processes beside a harness.Stack (whose apis
// run the command consumer and the outbox relay). It reuses the worker
// tests' proc, freeAddr and baseEnvList.

var gatewayBin bin

// gatewayBinary builds ./apps/gateway once per test process
// (E2E_BUILD_FLAGS apply, as for the api).
func gatewayBinary(t *testing.T) string {
	t.Helper()
	gatewayBin.once.Do(func() {
		root, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			gatewayBin.err = err
			return
		}
		dir, err := os.MkdirTemp("", "chatforge-e2e-gateway-")
		if err != nil {
			gatewayBin.err = err
			return
		}
		out := filepath.Join(dir, "gateway")
		args := append([]string{"build", "-o", out}, strings.Fields(os.Getenv("E2E_BUILD_FLAGS"))...)
		cmd := exec.Command("go", append(args, "./apps/gateway")...)
		cmd.Dir = filepath.Dir(strings.TrimSpace(string(root)))
		if b, err := cmd.CombinedOutput(); err != nil {
			gatewayBin.err = fmt.Errorf("go build ./apps/gateway: %v\n%s", err, b)
			return
		}
		gatewayBin.path = out
	})
	if gatewayBin.err != nil {
		t.Fatalf("gateway binary: %v", gatewayBin.err)
	}
	return gatewayBin.path
}

// gatewayProc is a running gateway and its address.
type gatewayProc struct {
	*proc
	addr string
}

// WS is the socket URL of the gateway.
func (g *gatewayProc) WS() string { return "ws://" + g.addr + "/ws" }

// URL is the HTTP base URL of the gateway.
func (g *gatewayProc) URL() string { return "http://" + g.addr }

// Kill ends the gateway with SIGKILL: no goodbye to clients or Redis.
func (g *gatewayProc) Kill() { g.stop(syscall.SIGKILL) }

// Stop ends the gateway with SIGTERM (drain).
func (g *gatewayProc) Stop() { g.stop(syscall.SIGTERM) }

// gatewayEnv are the e2e defaults: limits high enough for parallel tests,
// short TTLs so expiry is observable quickly.
func gatewayEnv() map[string]string {
	return map[string]string{
		"APP_ENV":              "test",
		"LOG_LEVEL":            "debug",
		"PRESENCE_TTL":         "3s",
		"TYPING_TTL":           "1s",
		"COMMAND_TIMEOUT":      "3s",
		"SHUTDOWN_TIMEOUT":     "5s",
		"WS_RATE_PER_SEC":      "1000",
		"WS_RATE_BURST":        "1000",
		"WS_USER_RATE_PER_SEC": "1000",
		"WS_USER_RATE_BURST":   "1000",
		"WS_BAD_FRAME_LIMIT":   "3",
		"WS_MAX_FRAME_BYTES":   "4096",
	}
}

// startGateway starts a gateway for stack s, verifying tokens with the
// first api's JWKS; env overrides gatewayEnv.
func startGateway(t *testing.T, s *harness.Stack, name string, env map[string]string) *gatewayProc {
	t.Helper()
	addr := freeAddr(t)
	e := gatewayEnv()
	e["REDIS_URL"] = s.RedisURL
	e["GATEWAY_ADDR"] = addr
	e["JWKS_URL"] = s.APIs[0].URL() + "/.well-known/jwks.json"
	for k, v := range env {
		e[k] = v
	}
	list := baseEnvList()
	for k, v := range e {
		list = append(list, k+"="+v)
	}
	sort.Strings(list)
	p := newBgProc(t, name, gatewayBinary(t), "http://"+addr+"/readyz", nil, list)
	p.start(t)
	return &gatewayProc{proc: p, addr: addr}
}

// apiEnv makes a crashed api's commands claimable quickly (the lead wires
// COMMAND_CLAIM_MIN_IDLE into messaging.CommandOptions.ClaimMinIdle).
func apiEnv() map[string]string {
	return map[string]string{"COMMAND_CLAIM_MIN_IDLE": "2s", "COMMAND_CLAIM_INTERVAL": "500ms"}
}

// newGatewayStack starts apis api processes and gateways gateway processes.
func newGatewayStack(t *testing.T, apis, gateways int) (*harness.Stack, []*gatewayProc) {
	t.Helper()
	s := harness.NewStack(t, harness.Options{APIs: apis, Env: apiEnv()})
	var gws []*gatewayProc
	for i := range gateways {
		gws = append(gws, startGateway(t, s, fmt.Sprintf("gateway-%d", i), nil))
	}
	return s, gws
}
