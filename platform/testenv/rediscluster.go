package testenv

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisCluster is a Redis Cluster of one test: redis-server processes in
// cluster mode, masters only, on free loopback ports with their own
// directories.
type RedisCluster struct {
	// Addrs are the masters' host:port: the value of REDIS_CLUSTER_ADDRS.
	Addrs []string
	dirs  []string
	nodes []*exec.Cmd
	done  []chan struct{}
}

// StartRedisCluster starts masters (3 or more) redis-server processes with
// --cluster-enabled yes, joins them with `redis-cli --cluster create` (the
// 16384 slots spread evenly), waits until every node reports the cluster
// ok, and kills them in t.Cleanup (printing their logs if t failed). It
// skips the test when redis-server or redis-cli is missing, except under
// CI (CI=true), where it fails.
func StartRedisCluster(t testing.TB, masters int) *RedisCluster {
	t.Helper()
	for _, prog := range []string{"redis-server", "redis-cli"} {
		if _, err := exec.LookPath(prog); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("testenv: %v (Debian: apt-get install redis-server redis-tools)", err)
			}
			t.Skipf("testenv: %v", err)
		}
	}
	c := &RedisCluster{}
	t.Cleanup(func() { c.stop(t) })
	for range masters {
		port, busPort := freePort(t), freePort(t)
		dir := t.TempDir()
		// The bus port is set explicitly: the default (port + 10000) may be
		// taken, or past 65535.
		cmd := exec.Command("redis-server", "--port", port, "--bind", "127.0.0.1", "--dir", dir,
			"--cluster-enabled", "yes", "--cluster-port", busPort, "--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", "5000", "--appendonly", "no", "--save", "",
			"--logfile", filepath.Join(dir, "redis.log"), "--daemonize", "no")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Fatalf("testenv: start redis-server: %v", err)
		}
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		c.Addrs, c.dirs = append(c.Addrs, "127.0.0.1:"+port), append(c.dirs, dir)
		c.nodes, c.done = append(c.nodes, cmd), append(c.done, done)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, a := range c.Addrs {
		c.waitNode(ctx, t, a, func(n *redis.Client) bool { return n.Ping(ctx).Err() == nil })
	}
	args := append([]string{"--cluster", "create"}, c.Addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.CommandContext(ctx, "redis-cli", args...).CombinedOutput(); err != nil {
		t.Fatalf("testenv: redis-cli --cluster create: %v\n%s", err, out)
	}
	// Every node must know every other and every slot's owner before a
	// client takes its slot map from any of them.
	known := fmt.Sprintf("cluster_known_nodes:%d", masters)
	for _, a := range c.Addrs {
		c.waitNode(ctx, t, a, func(n *redis.Client) bool {
			info, err := n.ClusterInfo(ctx).Result()
			return err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, known)
		})
	}
	return c
}

// Client returns a client of the cluster, closed in t.Cleanup.
func (c *RedisCluster) Client(t testing.TB) *redis.ClusterClient {
	t.Helper()
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// Kill stops node i (of Addrs) with SIGKILL and waits for it to exit.
func (c *RedisCluster) Kill(i int) {
	select {
	case <-c.done[i]:
		return
	default:
	}
	_ = c.nodes[i].Process.Kill()
	<-c.done[i]
}

func (c *RedisCluster) waitNode(ctx context.Context, t testing.TB, addr string, ready func(*redis.Client) bool) {
	t.Helper()
	n := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer n.Close()
	for !ready(n) {
		if ctx.Err() != nil {
			t.Fatalf("testenv: redis cluster node %s not ready", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *RedisCluster) stop(t testing.TB) {
	for i := range c.nodes {
		c.Kill(i)
	}
	if !t.Failed() && os.Getenv("E2E_LOGS") == "" {
		return
	}
	for i, dir := range c.dirs {
		b, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
		if len(b) > 4096 {
			b = b[len(b)-4096:]
		}
		t.Logf("--- redis cluster node %s ---\n%s", c.Addrs[i], b)
	}
}

func freePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testenv: free port: %v", err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}
