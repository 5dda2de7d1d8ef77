package e2e

import (
	"fmt"
	"testing"

	"github.com/chatforge/chat/tests/e2e/harness"
)

// This file starts gateway processes beside a harness.Stack (whose apis
// run the command consumer and the outbox relay).

// gatewayProc is a running gateway and its address. URL, Stop (SIGTERM:
// drain) and Kill (SIGKILL: no goodbye to clients or Redis) come from
// harness.Proc.
type gatewayProc struct {
	*harness.Proc
	addr string
}

// WS is the socket URL of the gateway.
func (g *gatewayProc) WS() string { return "ws://" + g.addr + "/ws" }

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
	addr := harness.FreeAddr(t)
	e := gatewayEnv()
	for k, v := range s.RedisEnv() {
		e[k] = v
	}
	e["GATEWAY_ADDR"] = addr
	e["JWKS_URL"] = s.APIs[0].URL() + "/.well-known/jwks.json"
	for k, v := range env {
		e[k] = v
	}
	p := harness.StartProc(t, name, harness.Binary(t, "./apps/gateway"), "http://"+addr+"/readyz", nil, harness.Env(e))
	return &gatewayProc{Proc: p, addr: addr}
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
