package harness

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// builds caches one build per package path for the whole test process:
// every stack of every test reuses the binaries.
var builds struct {
	mu   sync.Mutex
	dir  string            // temp dir holding the binaries
	bins map[string]*build // package path -> build
}

type build struct {
	once sync.Once
	path string
	err  error
}

// Main runs the tests and then removes the binaries built for them. Call it
// from TestMain: func TestMain(m *testing.M) { harness.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	builds.mu.Lock()
	if builds.dir != "" {
		os.RemoveAll(builds.dir)
	}
	builds.mu.Unlock()
	os.Exit(code)
}

// Binary returns the path of the binary built from pkg (e.g. "./apps/api",
// "./apps/worker"), relative to the module root, building it once per test
// process on first use (E2E_BUILD_FLAGS apply). A failed build fails every
// test that needs it.
func Binary(t testing.TB, pkg string) string {
	t.Helper()
	builds.mu.Lock()
	if builds.bins == nil {
		builds.bins = map[string]*build{}
	}
	b := builds.bins[pkg]
	if b == nil {
		b = &build{}
		builds.bins[pkg] = b
	}
	if builds.dir == "" {
		dir, err := os.MkdirTemp("", "chatforge-e2e-bin-")
		if err != nil {
			builds.mu.Unlock()
			t.Fatalf("harness: temp dir for binaries: %v", err)
		}
		builds.dir = dir
	}
	dir := builds.dir
	builds.mu.Unlock()

	b.once.Do(func() { b.path, b.err = goBuild(dir, pkg) })
	if b.err != nil {
		t.Fatalf("harness: %v", b.err)
	}
	return b.path
}

// goBuild runs `go build -o dir/<name> pkg` from the module root.
func goBuild(dir, pkg string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, filepath.Base(pkg))
	args := []string{"build", "-o", out}
	args = append(args, strings.Fields(os.Getenv("E2E_BUILD_FLAGS"))...)
	args = append(args, pkg)
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, buf.String())
	}
	return out, nil
}

// moduleRoot is the directory of the go.mod governing the tests.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("go env GOMOD: not inside a module")
	}
	return filepath.Dir(gomod), nil
}
