package web

import (
	"context"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSDK runs the SDK's Node tests (apps/web/sdk/test) against a real
// stack whose gateway replays at most 5 messages per join, so that a
// resume beyond that gets recovered:false and pages over REST. They run
// with Node's own WebSocket where there is one (Node 22+, or 20 with a
// flag) and with an injected one (test/ws-node.js).
func TestSDK(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes; skipped with -short")
	}
	node := need(t, "node", "NODE_BIN")
	major := 0
	if v, err := exec.Command(node, "-p", "process.versions.node").Output(); err == nil {
		major, _ = strconv.Atoi(strings.SplitN(strings.TrimSpace(string(v)), ".", 2)[0])
	}
	files, _ := filepath.Glob(repoFile(t, "apps/web/sdk/test/*.test.js"))
	if len(files) == 0 {
		t.Fatal("no SDK tests found in apps/web/sdk/test")
	}
	s := startStack(t, false, map[string]string{"REPLAY_MAX": "5"})
	runs := []struct{ name, ws string }{{"injected WebSocket", "node"}}
	if major >= 20 {
		runs = append(runs, struct{ name, ws string }{"global WebSocket", "global"})
	}
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			args := []string{"--test"}
			if r.ws == "global" && major < 22 {
				args = append(args, "--experimental-websocket")
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, node, append(args, files...)...)
			cmd.Env = append(cmd.Environ(),
				"CHATFORGE_API_URL="+s.APIs[0].URL(),
				"CHATFORGE_GATEWAY_URL="+s.gateway.URL(),
				"CHATFORGE_REPLAY_MAX=5",
				"CHATFORGE_TEST_WS="+r.ws,
			)
			out, err := cmd.CombinedOutput()
			t.Logf("node %s:\n%s", strings.Join(args, " "), out)
			if err != nil {
				t.Fatalf("SDK tests failed: %v", err)
			}
		})
	}
}
