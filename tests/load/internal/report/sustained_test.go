package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chatforge/chat/tests/load/internal/hist"
	"github.com/chatforge/chat/tests/load/internal/scenario"
	"github.com/chatforge/chat/tests/load/internal/sustain"
)

func TestSustained(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		leak    float64 // bytes per sample
		minutes int
		want    string
	}{
		{"flat", 0, 10, "met"},
		{"leak", 8 << 20, 10, "missed: gateway0 RSS grew"},
		{"short", 0, 4, "missed: ran 4 of 10 minutes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := t.TempDir()
			write := func(name string, v any) {
				b, _ := json.Marshal(v)
				if err := os.WriteFile(filepath.Join(in, name), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var rooms scenario.Report
			for range tc.minutes {
				rooms.Steps = append(rooms.Steps, scenario.StepSummary{Step: scenario.Step{Rate: 1, Duration: time.Minute},
					Pass: true, Delivered: 1200000, Expected: 1200000, DeliveryRatio: 1, E2E: hist.Summary{P99: 12}})
			}
			var samples []sustain.Sample
			for i := range 6 * tc.minutes {
				samples = append(samples, sustain.Sample{AtSec: float64(10 * i), RSS: map[string]float64{"gateway0": 300<<20 + tc.leak*float64(i)}})
			}
			write("sustained.json", rooms)
			write("sustained-watch.json", sustain.Result{IntervalSec: 10, Samples: samples, Verdict: sustain.Judge(samples)})

			r, err := Load(in)
			if err != nil {
				t.Fatal(err)
			}
			r.Evaluate()
			var got Target
			for _, tg := range r.Targets {
				if strings.HasPrefix(tg.Name, "sustained") {
					got = tg
				}
			}
			if status := got.Status + ": " + got.Gap; !strings.HasPrefix(status, tc.want) {
				t.Errorf("sustained target = %+v, want status %q", got, tc.want)
			}
			var md strings.Builder
			r.Markdown(&md, "run.json")
			if !strings.Contains(md.String(), "## Sustained rooms load") || !strings.Contains(md.String(), "| gateway0 RSS (MB) |") {
				t.Errorf("markdown has no sustained section:\n%s", md.String())
			}
		})
	}
}
