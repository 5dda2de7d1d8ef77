package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// deploymentMetricNames returns every metric name of the PromQL expressions
// in dir/grafana/*.json (each panel target's "expr") and
// dir/prometheus/*.yaml (each rule's "expr"), mapped to where it is used.
// Histogram series (_bucket, _sum, _count) keep their suffix: the scrape
// lists them under the same names.
func deploymentMetricNames(t *testing.T, dir string) map[string]string {
	t.Helper()
	used := map[string]string{}
	dashboards, _ := filepath.Glob(filepath.Join(dir, "grafana", "*.json"))
	rules, _ := filepath.Glob(filepath.Join(dir, "prometheus", "*.yaml"))
	if len(dashboards) == 0 || len(rules) == 0 {
		t.Fatalf("no dashboard or rules under %s", dir)
	}
	for _, f := range dashboards {
		var doc any
		if err := json.Unmarshal(readFile(t, f), &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		collectExprs(doc, func(e string) { addMetrics(used, e, filepath.Base(f)) })
	}
	for _, f := range rules {
		var doc any
		if err := yaml.Unmarshal(readFile(t, f), &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		collectExprs(doc, func(e string) { addMetrics(used, e, filepath.Base(f)) })
	}
	return used
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// collectExprs calls f with every string value under an "expr" key.
func collectExprs(v any, f func(string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && k == "expr" {
				f(s)
				continue
			}
			collectExprs(x, f)
		}
	case []any:
		for _, x := range v {
			collectExprs(x, f)
		}
	}
}

var (
	// Removed before looking for names: label matchers and strings, numbers
	// (1e-9), the label lists of by/without/on/ignoring/group_*, durations in [].
	promStrings  = regexp.MustCompile(`"[^"]*"|'[^']*'|\{[^}]*\}|\[[^\]]*\]|\b\d[\d.]*([eE][-+]?\d+)?`)
	promLabelSet = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promIdent    = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
	// PromQL functions, aggregations and keywords (not metric names).
	promWords = map[string]bool{}
)

func init() {
	for _, w := range strings.Fields(`sum min max avg count stddev stdvar topk bottomk quantile count_values group
		rate irate increase delta idelta deriv histogram_quantile histogram_count histogram_sum
		abs ceil floor round clamp clamp_min clamp_max absent absent_over_time changes resets
		avg_over_time min_over_time max_over_time sum_over_time count_over_time last_over_time quantile_over_time
		time timestamp vector scalar label_replace label_join sort sort_desc predict_linear exp ln log2 log10 sqrt
		and or unless bool offset by without on ignoring group_left group_right inf nan Inf NaN`) {
		promWords[w] = true
	}
}

// addMetrics records the metric names of one PromQL expression. Grafana
// variables ($__rate_interval) are removed with the brackets around them.
func addMetrics(used map[string]string, expr, where string) {
	e := promLabelSet.ReplaceAllString(promStrings.ReplaceAllString(expr, " "), " ")
	for _, id := range promIdent.FindAllString(e, -1) {
		if promWords[id] || strings.HasPrefix(id, "__") {
			continue
		}
		if i := strings.Index(e, id); i > 0 && e[i-1] == '$' {
			continue
		}
		if _, ok := used[id]; !ok {
			used[id] = where
		}
	}
}

// TestPromQLMetricNames checks the extraction itself (no processes).
func TestPromQLMetricNames(t *testing.T) {
	got := map[string]string{}
	addMetrics(got, `histogram_quantile(0.99, sum by (le, type) (rate(chat_command_wait_seconds_bucket{type="send-message"}[$__rate_interval])))`, "a")
	addMetrics(got, `sum(rate(http_requests_total{status=~"5.."}[5m])) / clamp_min(sum(rate(http_requests_total[5m])), 1e-9) > 0.01`, "b")
	addMetrics(got, `sum by (instance) (go_sql_in_use_connections) / on (instance) group_left sum by (instance) (go_sql_max_open_connections) and up == 0`, "c")
	want := []string{"chat_command_wait_seconds_bucket", "http_requests_total", "go_sql_in_use_connections", "go_sql_max_open_connections", "up"}
	for _, w := range want {
		if _, ok := got[w]; !ok {
			t.Errorf("%s not found", w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %v, want exactly %v", got, want)
	}
}
