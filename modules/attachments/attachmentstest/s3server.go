// Package attachmentstest starts a real S3-compatible server (Versity
// Gateway, built from its Go module and cached per version) for the S3
// adapter's tests and the end-to-end tests.
package attachmentstest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// VersityVersion is the S3-compatible server the tests run.
const VersityVersion = "v1.8.0"

var versity struct {
	once sync.Once
	path string
	err  error
}

// S3Server is a running Versity Gateway over a posix directory.
type S3Server struct {
	Endpoint, AccessKey, SecretKey, Region string
}

// StartS3 starts a Versity Gateway (posix backend in a temp dir) on a free
// port and stops it when t ends. The binary is VERSITYGW_BIN, else built
// with go install into the user cache dir once per version.
func StartS3(t testing.TB) S3Server {
	t.Helper()
	if testing.Short() {
		t.Skip("needs an S3-compatible server (built on first use)")
	}
	bin := versityBinary(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s := S3Server{Endpoint: "http://" + addr, AccessKey: "chatforgetest", SecretKey: "chatforgetestsecret", Region: "us-east-1"}
	root := t.TempDir()
	cmd := exec.Command(bin, "--access", s.AccessKey, "--secret", s.SecretKey, "--region", s.Region,
		"--port", addr, "posix", root)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start versitygw: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.Endpoint + "/")
		if err == nil {
			resp.Body.Close()
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("versitygw did not answer on %s: %v\n%s", addr, err, out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func versityBinary(t testing.TB) string {
	t.Helper()
	versity.once.Do(func() {
		if p := os.Getenv("VERSITYGW_BIN"); p != "" {
			versity.path = p
			return
		}
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		dir := filepath.Join(cache, "chatforge-e2e", "versitygw-"+VersityVersion)
		p := filepath.Join(dir, "versitygw")
		if _, err := os.Stat(p); err == nil {
			versity.path = p
			return
		}
		// Installed into a fresh directory, then renamed into place: test
		// processes that build it at once never write over a running copy.
		if err := os.MkdirAll(dir, 0o755); err != nil {
			versity.err = err
			return
		}
		tmp, err := os.MkdirTemp(filepath.Dir(dir), "versitygw-build-")
		if err != nil {
			versity.err = err
			return
		}
		defer os.RemoveAll(tmp)
		cmd := exec.Command("go", "install", "github.com/versity/versitygw/cmd/versitygw@"+VersityVersion)
		cmd.Dir = os.TempDir() // outside our module: its own go.mod rules
		cmd.Env = append(os.Environ(), "GOBIN="+tmp)
		if b, err := cmd.CombinedOutput(); err != nil {
			versity.err = fmt.Errorf("go install versitygw: %v\n%s", err, b)
			return
		}
		if err := os.Rename(filepath.Join(tmp, "versitygw"), p); err != nil {
			versity.err = err
			return
		}
		versity.path = p
	})
	if versity.err != nil {
		t.Fatalf("versitygw binary: %v", versity.err)
	}
	return versity.path
}

// Bucket creates a bucket on the server and returns its name.
func (s S3Server) Bucket(t testing.TB, name string) string {
	t.Helper()
	c := s.client(t)
	if err := c.MakeBucket(context.Background(), name, minio.MakeBucketOptions{Region: s.Region}); err != nil {
		t.Fatalf("make bucket %s: %v", name, err)
	}
	return name
}

// Keys lists the keys stored in bucket.
func (s S3Server) Keys(t testing.TB, bucket string) []string {
	t.Helper()
	var keys []string
	for obj := range s.client(t).ListObjects(context.Background(), bucket, minio.ListObjectsOptions{Recursive: true}) {
		if obj.Err != nil {
			t.Fatalf("list %s: %v", bucket, obj.Err)
		}
		keys = append(keys, obj.Key)
	}
	return keys
}

func (s S3Server) client(t testing.TB) *minio.Client {
	t.Helper()
	u, err := url.Parse(s.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	c, err := minio.New(u.Host, &minio.Options{Creds: credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""),
		Region: s.Region, BucketLookup: minio.BucketLookupPath})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
