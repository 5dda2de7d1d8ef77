package e2e

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chatforge/chat/tests/e2e/harness"
)

// This file checks the Grafana dashboard and the Prometheus alert rules
// under deployments/: every metric they name is exported by a real binary
// (a renamed metric would otherwise leave an empty panel or a silent
// alert), and promtool accepts the rules.

// prometheusMetrics are series Prometheus itself makes for each target.
var prometheusMetrics = map[string]bool{"up": true, "scrape_duration_seconds": true, "scrape_samples_scraped": true}

// TestDeploymentsMetricsExist scrapes the /metrics of a real api, gateway
// and worker and looks up every metric of the dashboard's and the rules'
// PromQL expressions (deploymentsexpr_test.go extracts them).
func TestDeploymentsMetricsExist(t *testing.T) {
	used := deploymentMetricNames(t, filepath.Join("..", "..", "deployments"))
	if len(used) < 10 {
		t.Fatalf("found only %d metric names in the dashboard and rules; is the extraction broken?", len(used))
	}
	s, gws := newGatewayStack(t, 1, 1)
	w := startWorker(t, s, "worker-metrics", nil)

	// Traffic, so that labelled series (created on first use) exist: a
	// message through the system, an error frame, and the registration's
	// email task in the worker.
	exerciseMessagePath(t, s, gws[0])

	var missing []string
	have := map[string]bool{}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		for _, url := range []string{s.APIs[0].URL(), gws[0].URL(), w.URL()} {
			for name := range scrapeMetricNames(t, url+"/metrics") {
				have[name] = true
			}
		}
		missing = missing[:0]
		for name, where := range used {
			if !have[name] && !prometheusMetrics[name] {
				missing = append(missing, name+" (used in "+where+")")
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("not exported by the api, gateway or worker: %s", m)
	}
}

// scrapeMetricNames returns the series names of a Prometheus text
// exposition: histograms appear as their _bucket, _sum and _count series,
// which is how PromQL names them too.
func scrapeMetricNames(t *testing.T, url string) map[string]bool {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("GET %s: %d %s", url, res.StatusCode, b)
	}
	names := map[string]bool{}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if i := strings.IndexAny(line, "{ "); i > 0 {
			names[line[:i]] = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read %s: %v", url, err)
	}
	return names
}

// exerciseMessagePath sends one message over a socket and waits for its
// echo, then provokes one error frame (joining a room that does not exist).
func exerciseMessagePath(t *testing.T, s *harness.Stack, gw *gatewayProc) {
	t.Helper()
	u := newChat(t, s, s.Client(t))
	room := u.createRoom("public")
	c := connect(t, gw.WS(), u.a.AccessToken)
	c.join(t, room.ID, -1)
	sent := c.sendMessage(t, room.ID, "metrics", "metrics-1")
	if got := c.collect(t, room.ID, 1); got[0].ID != sent.ID {
		t.Fatalf("received %s, sent %s", got[0].ID, sent.ID)
	}
	c.send("join-room", "missing", map[string]any{"roomId": "00000000-0000-7000-8000-000000000000"})
	c.ExpectRef(t, "missing", "error")
}

// TestDeploymentsAlertRulesPromtool runs `promtool check rules` (Debian's
// prometheus package) on the alert rules. Without promtool the test skips,
// except under CI=true where .ci/run installs it.
func TestDeploymentsAlertRulesPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool not found (apt-get install prometheus); .ci/run installs it")
		}
		t.Skip("promtool not found (apt-get install prometheus)")
	}
	rules, _ := filepath.Glob(filepath.Join("..", "..", "deployments", "prometheus", "*.yaml"))
	if len(rules) == 0 {
		t.Fatal("no rule files under deployments/prometheus")
	}
	out, err := exec.Command(promtool, append([]string{"check", "rules"}, rules...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
