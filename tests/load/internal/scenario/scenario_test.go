package scenario

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chatforge/chat/platform/authn"
	"github.com/chatforge/chat/tests/load/internal/fleet"
	"github.com/chatforge/chat/tests/load/internal/seed"
)

// TestMain lets this test binary act as a shard child (Options.Procs > 1
// re-executes it with the argument "shard").
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "shard" {
		if err := ChildMain(context.Background(), fleet.Stdio()); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// writeSeed writes a seed file (no database) for users of the layout.
func writeSeed(t *testing.T, l seed.Layout) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	signer := authn.NewSigner(key, "chatforge", "chatforge", time.Hour*24)
	dir := t.TempDir()
	f := seed.File{Layout: l, KeyID: signer.KeyID(), TokensFile: filepath.Join(dir, "tokens.txt")}
	if _, err := seed.EnsureTokens(f.TokensFile, signer, "chatforge", "chatforge", l.Users, time.Now()); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "seed.json")
	if err := f.Write(path); err != nil {
		t.Fatal(err)
	}
	return path
}

func baseConfig(workload, seedPath string, urls []string, clients int) Config {
	return Config{Workload: workload, SeedPath: seedPath, URLs: urls, Clients: clients, ContentBytes: 64,
		Drain: 3 * time.Second, SourceIPs: 4, DialParallel: 8, RunID: "t1", ConnectTimeout: 20 * time.Second}
}

func TestRoomsDeliversEverything(t *testing.T) {
	t.Parallel()
	gs := newFakeGateways(t, 2)
	g1, g2 := gs[0], gs[1]
	path := writeSeed(t, seed.Layout{Users: 40, RoomSize: 10})
	cfg := baseConfig(Rooms, path, []string{g1.wsURL(), g2.wsURL()}, 30)
	rep, err := Run(t.Context(), cfg, Options{Procs: 1, Steps: []Step{{Rate: 10, Duration: 600 * time.Millisecond}},
		Metrics: []string{g1.srv.URL + "/metrics", g2.srv.URL + "/metrics"}, Log: t.Output()})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Setup.Connected != 30 || rep.Setup.Joined != 30 {
		t.Fatalf("setup = %+v", rep.Setup)
	}
	// Both fake gateways' sockets split a room, so each one alone would
	// deliver less: this also checks rooms are counted across gateways.
	s := rep.Steps[0]
	if !s.Pass || s.Sent == 0 || s.Expected != s.Acked*10 || s.Delivered != s.Expected {
		t.Errorf("step = pass %v (%s), sent %d acked %d delivered %d expected %d", s.Pass, s.Why, s.Sent, s.Acked, s.Delivered, s.Expected)
	}
	if rep.Memory == nil || rep.Memory.Conns != 30 || rep.Memory.RSSPerConn != 5000 {
		t.Errorf("memory = %+v", rep.Memory)
	}
}

func TestBroadcastInChildProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	t.Parallel()
	g := newFakeGateways(t, 1)[0]
	path := writeSeed(t, seed.Layout{Users: 50, RoomSize: 10, BigRoomMembers: 50})
	cfg := baseConfig(Broadcast, path, []string{g.wsURL()}, 50)
	cfg.Senders = 5
	rep, err := Run(t.Context(), cfg, Options{Procs: 3, Steps: []Step{{Rate: 4, Duration: 500 * time.Millisecond},
		{Rate: 8, Duration: 500 * time.Millisecond}}, Log: t.Output()})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Steps) != 2 || rep.Knee == nil {
		t.Fatalf("steps = %d, knee %+v", len(rep.Steps), rep.Knee)
	}
	for _, s := range rep.Steps {
		if !s.Pass || s.Senders != 5 || s.Delivered != s.Acked*50 || s.FirstCopy == nil || s.Incomplete != 0 {
			t.Errorf("step %d: pass %v (%s) senders %d delivered %d acked %d incomplete %d", s.N, s.Pass, s.Why, s.Senders, s.Delivered, s.Acked, s.Incomplete)
		}
		if s.LastCopy.Max < s.FirstCopy.Max {
			t.Errorf("last copy before first: %+v %+v", s.FirstCopy, s.LastCopy)
		}
	}
	if rep.Steps[0].CPU.Groups["load"].Procs != 4 {
		t.Errorf("load group = %+v, want the parent and 3 children", rep.Steps[0].CPU.Groups["load"])
	}
}

func TestConnectionsHoldAndRefusal(t *testing.T) {
	t.Parallel()
	g := newFakeGateways(t, 1)[0]
	path := writeSeed(t, seed.Layout{Users: 20, RoomSize: 10})
	cfg := baseConfig(Connections, path, []string{g.wsURL(), g.wsURL() + "/nope"}, 20)
	rep, err := Run(t.Context(), cfg, Options{Procs: 1, Steps: []Step{{Duration: 200 * time.Millisecond}}, Log: t.Output()})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Setup.Connected != 10 || rep.Setup.ConnectFailed != 10 || len(rep.Setup.Errors) == 0 {
		t.Errorf("setup = %+v", rep.Setup)
	}
	if !rep.Steps[0].Pass {
		t.Errorf("hold step failed: %s", rep.Steps[0].Why)
	}
}
