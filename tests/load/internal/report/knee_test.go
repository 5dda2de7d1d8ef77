package report

import (
	"strings"
	"testing"
	"time"

	"github.com/chatforge/chat/tests/load/internal/hist"
	"github.com/chatforge/chat/tests/load/internal/scenario"
)

func TestKneeText(t *testing.T) {
	t.Parallel()
	step := func(perSec, p99 float64, pass bool) scenario.StepSummary {
		return scenario.StepSummary{Step: scenario.Step{Rate: perSec / 2000, Duration: time.Second}, OfferedPerSec: perSec,
			Pass: pass, DeliveryRatio: 1, E2E: hist.Summary{P99: p99}}
	}
	// The standard step (2,000 msgs/s) misses; the knee is the highest
	// passing rate below the first miss, in offered order.
	k := &scenario.Report{Setup: scenario.SetupSummary{Clients: 2000},
		Steps: []scenario.StepSummary{step(2000, 600, false), step(200, 30, true), step(500, 45, true), step(1000, 201, false)}}
	if got := kneeText(k); !strings.HasPrefix(got, "500 msgs/s (2000 clients); at 1,000 msgs/s: p99 201.0 ms") {
		t.Errorf("kneeText = %q", got)
	}
	k.Steps = []scenario.StepSummary{step(2000, 600, false), step(200, 60, true)}
	if got := kneeText(k); !strings.HasPrefix(got, "below the lowest step (200 msgs/s)") {
		t.Errorf("kneeText = %q", got)
	}
}
