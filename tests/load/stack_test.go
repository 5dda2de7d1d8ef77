package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chatforge/chat/platform/authn"
	"github.com/chatforge/chat/tests/e2e/harness"
	"github.com/chatforge/chat/tests/load/internal/scenario"
	"github.com/chatforge/chat/tests/load/internal/seed"
)

func TestMain(m *testing.M) { harness.Main(m) }

// TestSocketModesAgainstRealStack runs a tiny bounded rooms and
// connections workload against the real api and gateway binaries in each
// socket mode the tool has: native /ws, Socket.IO over websocket and
// Socket.IO over long-polling, the last also with each session's requests
// alternating between the two gateways (forwarded: no sticky sessions).
// Clients are spread over both gateways. Every socket must connect and join, and
// every acked message must reach every member once, in order. No timing
// is asserted.
func TestSocketModesAgainstRealStack(t *testing.T) {
	keyFile, key := writeKey(t)
	s := harness.NewStack(t, harness.Options{Env: map[string]string{"JWT_PRIVATE_KEY_FILE": keyFile}})
	var gws []string
	for i := range 2 {
		addr := harness.FreeAddr(t)
		harness.StartProc(t, fmt.Sprintf("gateway-%d", i), harness.Binary(t, "./apps/gateway"), "http://"+addr+"/readyz", nil, harness.Env(map[string]string{
			"APP_ENV":          "test",
			"LOG_LEVEL":        "info",
			"REDIS_URL":        s.RedisURL,
			"GATEWAY_ADDR":     addr,
			"JWKS_URL":         s.APIs[0].URL() + "/.well-known/jwks.json",
			"PING_INTERVAL":    "2s", // pings and pongs happen during the run
			"SHUTDOWN_TIMEOUT": "5s",
		}))
		gws = append(gws, addr)
	}

	const users = 20
	seedPath := seedStack(t, s.DatabaseURL, key, seed.Layout{Users: users, RoomSize: 10})
	modes := []struct {
		name                      string
		socketIO, polling, spread bool
		path                      string
	}{
		{"native", false, false, false, "/ws"},
		{"socketio-websocket", true, false, false, "/socket.io/"},
		{"socketio-polling", true, true, false, "/socket.io/"},
		{"socketio-polling-forwarded", true, true, true, "/socket.io/"},
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			for _, workload := range []string{scenario.Connections, scenario.Rooms} {
				cfg := scenario.Config{Workload: workload, SeedPath: seedPath, URLs: []string{"ws://" + gws[0] + m.path, "ws://" + gws[1] + m.path},
					Clients: users, ContentBytes: 64, Drain: 10 * time.Second, SourceIPs: 4, DialParallel: 8,
					SocketIO: m.socketIO, Polling: m.polling, PollSpread: m.spread, RunID: m.name, ConnectTimeout: 30 * time.Second}
				steps := []scenario.Step{{Duration: 3 * time.Second}} // held across a ping (PING_INTERVAL 2s)
				if workload == scenario.Rooms {
					steps = []scenario.Step{{Rate: 2, Duration: 2 * time.Second}, {Rate: 4, Duration: time.Second}}
				}
				rep, err := scenario.Run(t.Context(), cfg, scenario.Options{Procs: 1, Steps: steps,
					Metrics: []string{"http://" + gws[0] + "/metrics", "http://" + gws[1] + "/metrics"}, Log: testLog{t}})
				if err != nil {
					t.Fatalf("%s: %v", workload, err)
				}
				checkReport(t, rep, users)
			}
		})
	}
}

func checkReport(t *testing.T, rep *scenario.Report, users int) {
	t.Helper()
	su := rep.Setup
	if su.Connected != users || su.ConnectFailed != 0 || su.JoinFailed != 0 {
		t.Fatalf("%s setup: connected %d/%d, failed %d, join failed %d: %v", rep.Workload, su.Connected, users,
			su.ConnectFailed, su.JoinFailed, su.Errors)
	}
	if rep.Workload == scenario.Rooms && su.Joined != users {
		t.Fatalf("rooms: joined %d/%d", su.Joined, users)
	}
	for i, st := range rep.Steps {
		if st.Drops != 0 {
			t.Errorf("%s step %d: %d sockets dropped (%v)", rep.Workload, i, st.Drops, st.CloseCodes)
		}
		if rep.Workload != scenario.Rooms {
			continue
		}
		if st.Sent == 0 || st.Acked != st.Sent || st.Delivered != st.Expected || st.Expected != st.Acked*10 ||
			st.Duplicates != 0 || st.Gaps != 0 || st.SendFailed != 0 {
			t.Errorf("rooms step %d: sent %d, acked %d (errors %v), delivered %d/%d, duplicates %d, gaps %d, send failed %d",
				i, st.Sent, st.Acked, st.SendErrors, st.Delivered, st.Expected, st.Duplicates, st.Gaps, st.SendFailed)
		}
	}
}

// writeKey writes the api's signing key so the test can mint the seeded
// users' tokens with it.
func writeKey(t *testing.T) (string, *rsa.PrivateKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "jwt.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, key
}

// seedStack inserts the layout's rows into the stack's database, mints
// the tokens and writes the seed file.
func seedStack(t *testing.T, dsn string, key *rsa.PrivateKey, l seed.Layout) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := seed.Insert(ctx, conn, l, time.Now()); err != nil {
		t.Fatalf("seed: %v", err)
	}
	signer := authn.NewSigner(key, "chatforge", "chatforge", time.Hour)
	dir := t.TempDir()
	f := seed.File{Layout: l, KeyID: signer.KeyID(), Issuer: "chatforge", Audience: "chatforge",
		TokensFile: filepath.Join(dir, "tokens.txt"), CreatedAt: time.Now().UTC()}
	if _, err := seed.EnsureTokens(f.TokensFile, signer, "chatforge", "chatforge", l.Users, time.Now()); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "seed.json")
	if err := f.Write(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// testLog sends the tool's progress lines to the test log.
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(string(p))
	return len(p), nil
}
