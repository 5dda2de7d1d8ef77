package deployments

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// This file checks deployments/compose offline (Docker is not needed): the
// compose file parses, runs every part of the system, and each chatforge
// service runs a real binary with settings the binaries know.

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
}

type composeService struct {
	Image       string                    `yaml:"image"`
	Command     []string                  `yaml:"command"`
	Environment map[string]string         `yaml:"environment"`
	Healthcheck struct{ Test []string }   `yaml:"healthcheck"`
	DependsOn   map[string]map[string]any `yaml:"depends_on"`
	Volumes     []string                  `yaml:"volumes"`
}

// chatforgeImage is the image every chatforge service runs (built from
// deployments/docker/Dockerfile).
const chatforgeImage = "chatforge:dev"

// listenVar is each binary's listen-address variable.
var listenVar = map[string]string{"api": "API_ADDR", "gateway": "GATEWAY_ADDR", "worker": "WORKER_ADDR", "web": "WEB_ADDR"}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("compose", "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	// A key beside a merge (<<: *image) overrides the merged one, as in
	// YAML 1.1 and Docker Compose; go-yaml calls that a duplicate unless told.
	if err := yaml.UnmarshalWithOptions(b, &c, yaml.AllowDuplicateMapKey()); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	return c
}

// envExampleNames returns every variable named in .env.example, set or
// commented out ("#NAME=").
func envExampleNames(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", ".env.example"))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	re := regexp.MustCompile(`(?m)^#?([A-Z][A-Z0-9_]*)=`)
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		names[m[1]] = true
	}
	return names
}

func TestComposeRunsTheWholeSystem(t *testing.T) {
	c := loadCompose(t)
	for _, name := range []string{"postgres", "redis", "mailpit", "migrate", "api-1", "api-2",
		"gateway-1", "gateway-2", "worker", "web", "nginx"} {
		if _, ok := c.Services[name]; !ok {
			t.Errorf("compose.yaml has no service %q", name)
		}
	}
	if got := strings.Join(c.Services["migrate"].Command, " "); got != "api migrate up" {
		t.Errorf("migrate runs %q, want \"api migrate up\"", got)
	}
	for name, s := range c.Services {
		if s.Image == chatforgeImage && name != "migrate" {
			if _, ok := s.DependsOn["migrate"]; !ok && !dependsOnAPI(s) && !slices.Contains(s.Command, "web") {
				t.Errorf("%s starts without waiting for the migrations", name)
			}
		}
	}
}

func dependsOnAPI(s composeService) bool {
	for d := range s.DependsOn {
		if strings.HasPrefix(d, "api-") {
			return true
		}
	}
	return false
}

func TestComposeServicesMatchTheBinaries(t *testing.T) {
	c := loadCompose(t)
	known := envExampleNames(t)
	if len(known) < 50 {
		t.Fatalf("read only %d names from .env.example", len(known))
	}
	for name, s := range c.Services {
		if s.Image != chatforgeImage {
			continue
		}
		if len(s.Command) == 0 {
			t.Errorf("%s: no command (the image holds every binary; name one)", name)
			continue
		}
		bin := s.Command[0]
		if _, err := os.Stat(filepath.Join("..", "apps", bin, "main.go")); err != nil {
			t.Errorf("%s runs %q, which is no binary under apps/", name, bin)
			continue
		}
		for k := range s.Environment {
			if !known[k] {
				t.Errorf("%s: %s is not a setting of .env.example", name, k)
			}
		}
		if s.Environment["DATABASE_URL"] == "" || s.Environment["APP_ENV"] == "" {
			t.Errorf("%s: lacks the shared settings (x-env)", name)
		}
		if !slices.Contains(s.Volumes, "state:/var/lib/chatforge") {
			t.Errorf("%s: does not mount the shared state volume (signing key)", name)
		}
		if name == "migrate" {
			continue
		}
		addr := s.Environment[listenVar[bin]]
		if addr == "" {
			t.Errorf("%s: %s unset", name, listenVar[bin])
			continue
		}
		port := addr[strings.LastIndex(addr, ":")+1:]
		want := "http://127.0.0.1:" + port + "/readyz"
		if !slices.Contains(s.Healthcheck.Test, want) {
			t.Errorf("%s: health check %v does not probe %s", name, s.Healthcheck.Test, want)
		}
	}
}

// TestComposeNginxUpstreams: every upstream server of the compose nginx is a
// service listening on that port, and nginx routes each path family.
func TestComposeNginxUpstreams(t *testing.T) {
	c := loadCompose(t)
	b, err := os.ReadFile(filepath.Join("compose", "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	conf := string(b)
	servers := regexp.MustCompile(`(?m)^\s*server\s+([a-z0-9-]+):(\d+)`).FindAllStringSubmatch(conf, -1)
	if len(servers) < 5 {
		t.Fatalf("found %d upstream servers in nginx.conf", len(servers))
	}
	for _, m := range servers {
		s, ok := c.Services[m[1]]
		if !ok {
			t.Errorf("nginx.conf: upstream server %s is no compose service", m[1])
			continue
		}
		if addr := s.Environment[listenVar[s.Command[0]]]; addr != ":"+m[2] {
			t.Errorf("nginx.conf: %s:%s, but the service listens on %q", m[1], m[2], addr)
		}
	}
	for _, loc := range []string{"location = /ws", "location /socket.io/", "location /api/", "location / "} {
		if !strings.Contains(conf, loc) {
			t.Errorf("nginx.conf lacks %q", loc)
		}
	}
	if n := strings.Count(conf, "proxy_set_header Upgrade    $http_upgrade;"); n != 2 {
		t.Errorf("nginx.conf passes the Upgrade header in %d locations, want 2 (/ws, /socket.io/)", n)
	}
}
