package e2e

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/logging"
	"github.com/pion/turn/v5"
)

// turnServer is Debian's coturn (turnserver) on a free port of 127.0.0.1,
// with the TURN REST API's shared secret (use-auth-secret).
type turnServer struct {
	addr  string // host:port, UDP and TCP
	realm string
	logs  *syncBuffer
}

// turnserverBin finds coturn's turnserver; missing, the test skips, or
// fails under CI (where .ci/run installs coturn).
func turnserverBin(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("TURNSERVER_BIN"), "turnserver", "/usr/bin/turnserver"} {
		if p == "" {
			continue
		}
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("coturn's turnserver is not installed (apt-get install coturn)")
	}
	t.Skip("coturn's turnserver is not installed (apt-get install coturn); CI fails instead")
	return ""
}

// startTURN starts turnserver with secret and stops it at the end of t.
func startTURN(t *testing.T, secret string) *turnServer {
	t.Helper()
	bin := turnserverBin(t)
	addr := freeUDPAndTCP(t)
	_, port, _ := net.SplitHostPort(addr)
	relayLo := 40000 + int(time.Now().UnixNano()%20000)
	ts := &turnServer{addr: addr, realm: "chatforge.test", logs: &syncBuffer{}}
	dir := t.TempDir() // its pid file and (empty) user database, not the system's
	cmd := exec.Command(bin, "-n", "--log-file=stdout", "--simple-log", "--no-cli", "--no-tls", "--no-dtls",
		"--pidfile="+filepath.Join(dir, "turnserver.pid"), "--userdb="+filepath.Join(dir, "turndb"),
		"--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1", "--listening-port="+port,
		"--min-port="+strconv.Itoa(relayLo), "--max-port="+strconv.Itoa(relayLo+200),
		"--use-auth-secret", "--static-auth-secret="+secret, "--realm="+ts.realm,
		"--allow-loopback-peers", "--fingerprint", "--no-multicast-peers")
	cmd.Stdout, cmd.Stderr = ts.logs, ts.logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start turnserver: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("--- turnserver output ---\n%s", ts.logs.String())
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return ts
		}
		if time.Now().After(deadline) {
			t.Fatalf("turnserver not listening on %s: %v\n%s", addr, err, ts.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// freeUDPAndTCP returns a 127.0.0.1 port free for both UDP and TCP.
func freeUDPAndTCP(t *testing.T) string {
	t.Helper()
	for range 20 {
		u, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := u.LocalAddr().String()
		l, err := net.Listen("tcp4", addr)
		u.Close()
		if err == nil {
			l.Close()
			return addr
		}
	}
	t.Fatal("no port free for both UDP and TCP")
	return ""
}

// allocate asks the TURN server for a relayed address with a credential;
// nil when the server granted one.
func (ts *turnServer) allocate(username, password string) error {
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer conn.Close()
	c, err := turn.NewClient(&turn.ClientConfig{
		STUNServerAddr: ts.addr, TURNServerAddr: ts.addr, Conn: conn,
		Username: username, Password: password, Realm: ts.realm,
		LoggerFactory: logging.NewDefaultLoggerFactory(),
	})
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Listen(); err != nil {
		return err
	}
	relay, err := c.Allocate()
	if err != nil {
		return err
	}
	if !strings.HasPrefix(relay.LocalAddr().String(), "127.0.0.1:") {
		relay.Close()
		return &net.AddrError{Err: "relayed address not on loopback", Addr: relay.LocalAddr().String()}
	}
	return relay.Close()
}

// syncBuffer is a bytes.Buffer safe for a process's output and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
