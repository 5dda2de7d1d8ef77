package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatforge/chat/tests/e2e/harness"
)

// This file puts Debian's nginx (round robin, no stickiness) in front of 2
// apis and 2 gateways, runs the message path through it, and restarts
// every api and gateway one at a time (SIGTERM, then start again) under a
// steady stream of messages: nothing may be lost, duplicated or reordered.

const lbNginxConf = `worker_processes 1;
daemon off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 1024; }
http {
  client_body_temp_path %[1]s/body;
  proxy_temp_path %[1]s/proxy;
  fastcgi_temp_path %[1]s/fastcgi;
  uwsgi_temp_path %[1]s/uwsgi;
  scgi_temp_path %[1]s/scgi;
  access_log off;
  upstream apis {
%[2]s  }
  upstream gateways {
%[3]s  }
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  server {
    listen %[4]s;
    location = /ws {
      proxy_pass http://gateways;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $host;
      proxy_buffering off;
      proxy_read_timeout 120s;
    }
    location / {
      proxy_pass http://apis;
      proxy_set_header Host $host;
    }
  }
}
`

// startLB runs nginx in front of apis and gateways until the test ends and
// returns its address. max_fails=0: a restarted instance is tried again at
// once; a refused connection moves on to the next server.
func startLB(t *testing.T, apis, gateways []string) string {
	t.Helper()
	bin, err := exec.LookPath("nginx")
	if err != nil {
		if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
			bin = "/usr/sbin/nginx"
		}
	}
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("nginx is required (apt-get install -y nginx)")
		}
		t.Skip("nginx not installed (apt-get install -y nginx)")
	}
	servers := func(addrs []string) string {
		var b strings.Builder
		for _, a := range addrs {
			fmt.Fprintf(&b, "    server %s max_fails=0;\n", a)
		}
		return b.String()
	}
	dir := t.TempDir()
	addr := harness.FreeAddr(t)
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, lbNginxConf, dir, servers(apis), servers(gateways), addr), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "-c", conf, "-p", dir, "-e", filepath.Join(dir, "error.log"))
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx did not start:\n%s", b)
		}
	}
}

func TestRollingRestartBehindNginx(t *testing.T) {
	s, gws := newGatewayStack(t, 2, 2)
	lb := startLB(t, []string{addrOf(s.APIs[0].URL()), addrOf(s.APIs[1].URL())},
		[]string{addrOf(gws[0].URL()), addrOf(gws[1].URL())})
	wsURL := "ws://" + lb + "/ws"

	// REST through nginx: an account (registered on an api directly) creates a room.
	a := s.Register(t, s.Client(t))
	body, _ := json.Marshal(map[string]any{"name": "rolling", "kind": "public"})
	req, _ := http.NewRequest(http.MethodPost, "http://"+lb+"/api/chat/rooms", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+a.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("create room through nginx: %v %v", res, err)
	}
	var room chatRoom
	if err := json.NewDecoder(res.Body).Decode(&room); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()

	recv := &lbReceiver{url: wsURL, token: a.AccessToken, room: room.ID}
	recv.connect(t)
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(recv.run)
	send := &lbSender{url: wsURL, token: a.AccessToken, room: room.ID}
	sendDone := make(chan struct{})
	go func() { defer close(sendDone); send.run(ctx) }()

	// Rolling restart: each api, then each gateway, SIGTERM and start again.
	procs := []*harness.Proc{s.APIs[0], s.APIs[1], gws[0].Proc, gws[1].Proc}
	for _, p := range procs {
		time.Sleep(1500 * time.Millisecond)
		p.Stop()
		time.Sleep(500 * time.Millisecond)
		p.Restart(t)
	}
	time.Sleep(1500 * time.Millisecond)
	stop()
	<-sendDone

	acked := send.acked()
	if len(acked) < 20 {
		t.Fatalf("only %d messages acknowledged; errors: %v", len(acked), send.errs)
	}
	last := acked[len(acked)-1].Seq
	// The receiver keeps reading (reconnecting if needed) until it has the last.
	deadline := time.Now().Add(30 * time.Second)
	for recv.lastSeq() < last && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	recv.stop()
	wg.Wait()

	got := recv.messages()
	ids := map[string]bool{}
	for i, m := range acked {
		if ids[m.ID] {
			t.Errorf("message %s acknowledged twice", m.ID)
		}
		ids[m.ID] = true
		if i > 0 && m.Seq <= acked[i-1].Seq {
			t.Errorf("ack %d has seq %d after %d", i, m.Seq, acked[i-1].Seq)
		}
	}
	inOrder(t, "receiver", got, got[0].Seq)
	if len(got) != len(acked) {
		t.Fatalf("received %d messages, %d acknowledged", len(got), len(acked))
	}
	for i := range got {
		if got[i].ID != acked[i].ID || got[i].Content != fmt.Sprintf("rolling m-%d", i) {
			t.Fatalf("received #%d is %s %q, acknowledged #%d is %s", i, got[i].ID, got[i].Content, i, acked[i].ID)
		}
	}
	t.Logf("rolling restart of 2 apis and 2 gateways behind nginx: %d messages, %d restarts, 0 lost, 0 duplicated, 0 reordered; sender reconnects %d, resends %d; receiver reconnects %d",
		len(acked), len(procs), send.reconnects, send.resends, recv.reconnects)
}

func addrOf(url string) string { return strings.TrimPrefix(url, "http://") }
