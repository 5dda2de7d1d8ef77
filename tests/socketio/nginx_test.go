package socketio

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chatforge/chat/tests/e2e/harness"
)

// nginx is Debian's nginx started by the test as a plain round-robin load
// balancer (no ip_hash, no sticky cookie) in front of the gateways, with
// the websocket upgrade headers every deployment needs. max_fails=0: a
// gateway restarted by a test is tried again at once, not after 10 s.
type nginx struct {
	addr, accessLog string
}

func (n *nginx) URL() string { return "http://" + n.addr }

const nginxConf = `worker_processes 1;
daemon off;
user root;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log info;
events { worker_connections 1024; }
http {
  client_body_temp_path %[1]s/body;
  proxy_temp_path %[1]s/proxy;
  fastcgi_temp_path %[1]s/fastcgi;
  uwsgi_temp_path %[1]s/uwsgi;
  scgi_temp_path %[1]s/scgi;
  log_format upstream '$request_method $uri $args $status $upstream_addr';
  access_log %[1]s/access.log upstream;
  upstream gateways {
%[2]s  }
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  server {
    listen %[3]s;
    location / {
      proxy_pass http://gateways;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $host;
      proxy_buffering off;
      proxy_read_timeout 120s;
    }
  }
}
`

// startNginx runs nginx in front of gws until the test ends.
func startNginx(t *testing.T, gws ...*gateway) *nginx {
	t.Helper()
	bin, err := exec.LookPath("nginx")
	if err != nil {
		for _, p := range []string{"/usr/sbin/nginx"} {
			if _, err := os.Stat(p); err == nil {
				bin = p
			}
		}
	}
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("nginx is required (apt-get install -y nginx)")
		}
		t.Skip("nginx not installed (apt-get install -y nginx)")
	}
	dir := t.TempDir()
	var servers strings.Builder
	for _, g := range gws {
		fmt.Fprintf(&servers, "    server %s max_fails=0;\n", g.addr)
	}
	addr := harness.FreeAddr(t)
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, nginxConf, dir, servers.String(), addr), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "-c", conf, "-p", dir, "-e", filepath.Join(dir, "error.log"))
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("nginx error.log:\n%s", b)
		}
	})
	n := &nginx{addr: addr, accessLog: filepath.Join(dir, "access.log")}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, err := (&netDialer{}).dial(addr); err == nil {
			c.Close()
			return n
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx did not start:\n%s", b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// upstreamsOf returns how many requests of the session with sid each
// gateway got, by address.
func (n *nginx) upstreamsOf(t *testing.T, sid string) map[string]int {
	t.Helper()
	b, err := os.ReadFile(n.accessLog)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for line := range strings.SplitSeq(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 5 && strings.Contains(f[2], "sid="+sid) {
			out[f[4]]++
		}
	}
	return out
}

type netDialer struct{}

func (netDialer) dial(addr string) (interface{ Close() error }, error) {
	return net.DialTimeout("tcp", addr, time.Second)
}
