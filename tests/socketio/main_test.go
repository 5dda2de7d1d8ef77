// Package socketio holds the end-to-end tests of the gateway's Socket.IO
// endpoint (ARCHITECTURE.md section 7): the real binaries (tests/e2e/harness)
// driven by the official socket.io-client v4 under Node (driver.mjs, locked
// by package-lock.json), and a real nginx in round-robin for the tests of
// gateways without sticky sessions.
package socketio

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/chatforge/chat/tests/e2e/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

// globalRoomID is the room every user is in (messaging contract).
const globalRoomID = "00000000-0000-0000-0000-000000000001"

// gateway is a running gateway process.
type gateway struct {
	*harness.Proc
	addr string
}

// startGateway starts a gateway for s verifying tokens with the first
// api's JWKS; env overrides the test defaults.
func startGateway(t *testing.T, s *harness.Stack, name string, env map[string]string) *gateway {
	t.Helper()
	addr := harness.FreeAddr(t)
	e := map[string]string{
		"APP_ENV":               "test",
		"LOG_LEVEL":             "debug",
		"PRESENCE_TTL":          "3s",
		"TYPING_TTL":            "1s",
		"COMMAND_TIMEOUT":       "3s",
		"SHUTDOWN_TIMEOUT":      "5s",
		"WS_RATE_PER_SEC":       "1000",
		"WS_RATE_BURST":         "1000",
		"WS_USER_RATE_PER_SEC":  "1000",
		"WS_USER_RATE_BURST":    "1000",
		"PING_INTERVAL":         "2s",
		"SOCKETIO_PING_TIMEOUT": "2s",
		"REDIS_URL":             s.RedisURL,
		"GATEWAY_ADDR":          addr,
		"JWKS_URL":              s.APIs[0].URL() + "/.well-known/jwks.json",
	}
	for k, v := range env {
		e[k] = v
	}
	p := harness.StartProc(t, name, harness.Binary(t, "./apps/gateway"), "http://"+addr+"/readyz", nil, harness.Env(e))
	return &gateway{Proc: p, addr: addr}
}

// newStack starts one api and n gateways.
func newStack(t *testing.T, n int) (*harness.Stack, []*gateway) {
	t.Helper()
	s := harness.NewStack(t, harness.Options{})
	var gws []*gateway
	for i := range n {
		gws = append(gws, startGateway(t, s, fmt.Sprintf("gateway-%d", i), nil))
	}
	return s, gws
}

// user is a registered account.
func user(t *testing.T, s *harness.Stack) harness.Account {
	t.Helper()
	return s.Register(t, s.Client(t))
}

func decode[T any](t *testing.T, raw json.RawMessage) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return v
}

// message is the wire message.
type message struct {
	ID          string `json:"id"`
	RoomID      string `json:"roomId"`
	Seq         int64  `json:"seq"`
	UserID      string `json:"userId"`
	Content     string `json:"content"`
	ClientMsgID string `json:"clientMsgId"`
}

// ackError is the callback argument of a refused request.
type ackError struct {
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func logout(t *testing.T, s *harness.Stack, a harness.Account) {
	t.Helper()
	if res := s.Client(t).Do(http.MethodPost, "/api/auth/logout", nil, a.AccessToken); res.Status != http.StatusNoContent {
		t.Fatalf("logout: %s", res)
	}
}

// createRoom creates a private room of owner with members and returns its id.
func createRoom(t *testing.T, s *harness.Stack, owner harness.Account, members ...string) string {
	t.Helper()
	res := s.Client(t).Do(http.MethodPost, "/api/chat/rooms", map[string]any{"name": "sio", "kind": "private", "memberIds": members}, owner.AccessToken)
	if res.Status != http.StatusCreated {
		t.Fatalf("create room: %s", res)
	}
	var r struct {
		ID string `json:"id"`
	}
	res.JSON(t, &r)
	return r.ID
}
