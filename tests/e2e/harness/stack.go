package harness

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chatforge/chat/migrations"
	"github.com/chatforge/chat/platform/testenv"
)

// Options configures a stack.
type Options struct {
	APIs int               // api processes; default 1
	Env  map[string]string // extra environment for every api, overriding the harness's
	// DatabaseURL and RedisURL point the stack at servers of the test's
	// own (e.g. StartPrivatePostgres); "" gets a fresh database of
	// TEST_DATABASE_URL and a Redis DB of TEST_REDIS_URL.
	DatabaseURL, RedisURL string
	// RedisClusterAddrs, when set, puts the stack on that Redis Cluster
	// (REDIS_CLUSTER_ADDRS; see testenv.StartRedisCluster) instead of
	// RedisURL.
	RedisClusterAddrs []string
}

// Stack is a set of processes sharing one database and one Redis database.
type Stack struct {
	DatabaseURL, RedisURL string
	RedisClusterAddrs     []string // set when the stack runs on a Redis Cluster (RedisURL is then "")
	APIs                  []*Proc

	next atomic.Uint64 // round-robin cursor of clients
}

// NewStack starts a stack for t and stops it in t.Cleanup. Process output is
// printed when t fails (or always with E2E_LOGS=1).
//
// Every api gets APP_ENV=test, LOG_LEVEL=debug, a cheap password hash, the
// stack's shared JWT key, CORS_ALLOWED_ORIGINS=AllowedOrigin and rate limits
// high enough not to interfere (RATE_LIMIT_*=100000/min); Options.Env
// overrides any of them. With -short, NewStack skips the test.
func NewStack(t testing.TB, o Options) *Stack {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: starts processes; skipped with -short")
	}
	if o.APIs <= 0 {
		o.APIs = 1
	}
	bin := Binary(t, "./apps/api")
	s := &Stack{DatabaseURL: o.DatabaseURL, RedisURL: o.RedisURL, RedisClusterAddrs: o.RedisClusterAddrs}
	if s.DatabaseURL == "" {
		s.DatabaseURL = testenv.Postgres(t, migrations.FS)
	}
	if s.RedisURL == "" && len(s.RedisClusterAddrs) == 0 {
		s.RedisURL = testenv.Redis(t)
	}
	keyFile := writeSigningKey(t)

	// Registered first so it runs last: logs are complete by then.
	t.Cleanup(func() {
		if !t.Failed() && os.Getenv("E2E_LOGS") == "" {
			return
		}
		for _, p := range s.APIs {
			t.Logf("--- %s output ---\n%s", p.name, p.logs.Tail(maxLogBytes))
		}
	})
	t.Cleanup(func() {
		for _, p := range s.APIs {
			p.Stop()
			p.checkExit(t)
		}
	})

	for i := range o.APIs {
		addr := FreeAddr(t)
		env := map[string]string{
			"DATABASE_URL":              s.DatabaseURL,
			"API_ADDR":                  addr,
			"APP_ENV":                   "test",
			"LOG_LEVEL":                 "debug",
			"JWT_PRIVATE_KEY_FILE":      keyFile,
			"VAPID_KEY_FILE":            filepath.Join(filepath.Dir(keyFile), "vapid.json"),
			"PASSWORD_HASH_MEMORY_KIB":  "1024",
			"PASSWORD_HASH_ITERATIONS":  "1",
			"PASSWORD_HASH_PARALLELISM": "1",
			"PUBLIC_BASE_URL":           "http://" + addr,
			"CORS_ALLOWED_ORIGINS":      AllowedOrigin,
			// Every test client is 127.0.0.1: production limits would make
			// parallel tests throttle each other. Rate-limit tests lower them.
			"RATE_LIMIT_AUTH_IP":      "100000",
			"RATE_LIMIT_AUTH_ACCOUNT": "100000",
			"RATE_LIMIT_USER":         "100000",
		}
		for k, v := range s.RedisEnv() {
			env[k] = v
		}
		for k, v := range o.Env {
			env[k] = v
		}
		p := newProc(fmt.Sprintf("api-%d", i), bin, addr, Env(env))
		s.APIs = append(s.APIs, p)
	}
	for _, p := range s.APIs {
		p.start(t)
	}
	return s
}

// RedisEnv is the Redis configuration of every process of the stack:
// REDIS_URL, or REDIS_CLUSTER_ADDRS on a cluster.
func (s *Stack) RedisEnv() map[string]string {
	if len(s.RedisClusterAddrs) > 0 {
		return map[string]string{"REDIS_CLUSTER_ADDRS": strings.Join(s.RedisClusterAddrs, ",")}
	}
	return map[string]string{"REDIS_URL": s.RedisURL}
}

// AllowedOrigin is the CORS origin every stack allows unless Options.Env
// sets CORS_ALLOWED_ORIGINS.
const AllowedOrigin = "http://app.e2e.test"

// writeSigningKey writes a fresh 2048-bit RSA key (PKCS#8 PEM) shared by the
// stack's api processes, so a token signed by one verifies on the others.
func writeSigningKey(t testing.TB) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("harness: generate RSA key: %v", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatalf("harness: marshal key: %v", err)
	}
	path := filepath.Join(t.TempDir(), "jwt.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatalf("harness: write key: %v", err)
	}
	return path
}

func envList(m map[string]string) []string {
	l := make([]string, 0, len(m))
	for k, v := range m {
		l = append(l, k+"="+v)
	}
	sort.Strings(l)
	return l
}

// live returns the next running api in round-robin order.
func (s *Stack) live(t testing.TB) *Proc {
	t.Helper()
	n := len(s.APIs)
	start := s.next.Add(1)
	for i := range n {
		p := s.APIs[(start+uint64(i))%uint64(n)]
		if p.Running() {
			return p
		}
	}
	t.Fatalf("harness: no api process is running")
	return nil
}
