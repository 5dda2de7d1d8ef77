package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/chatforge/chat/tests/load/internal/scenario"
)

// Target is one goal of the issue, checked against the run.
type Target struct {
	Name     string `json:"name"`
	Goal     string `json:"goal"`
	Measured string `json:"measured"`
	Status   string `json:"status"` // met, missed, not run
	Gap      string `json:"gap,omitempty"`
	BoundBy  string `json:"boundBy,omitempty"`
	// Profile is, for a missed target, where the CPU of the profiled
	// binaries went during its workload.
	Profile string `json:"profile,omitempty"`

	workload string // whose profiles explain it
}

// Evaluate fills r.Targets.
func (r *Report) Evaluate() {
	r.Targets = nil
	if r.Pinned() {
		r.evaluatePinned()
		r.explainMisses()
		return
	}
	add := func(t Target) { r.Targets = append(r.Targets, t) }
	// The profile read has no target of its own: it shows what one
	// PostgreSQL read adds to the cheap endpoint.
	httpGoal := map[string]float64{"cheap": 20000, "history": 5000, "post": 3000}
	httpName := map[string]string{"cheap": "http: cheap endpoint (GET /api/push/vapid-public-key)",
		"history": "http: history pages (GET /api/chat/messages)", "post": "http: stored messages (POST /api/chat/messages)"}
	for _, ep := range Endpoints {
		if httpGoal[ep] == 0 {
			continue
		}
		t := Target{Name: httpName[ep], Goal: fmt.Sprintf("> %s req/s", thousands(httpGoal[ep])), workload: "http-" + ep}
		if res := r.HTTP[ep]; res != nil {
			t.Measured = fmt.Sprintf("%s ok/s (p99 %.1f ms, %d failed)", thousands(res.OKPerSec), res.Latency.P99, res.Failed)
			t.BoundBy = BoundBy(res.CPU)
			judge(&t, res.OKPerSec >= httpGoal[ep] && res.Failed == 0, shortBy(res.OKPerSec, httpGoal[ep]))
		} else {
			judge(&t, false, "")
		}
		add(t)
	}

	t := Target{Name: "connections", Goal: "100,000 sockets, < 10 KB RSS per connection", workload: "connections"}
	if c := r.Connections; c != nil {
		per := 0.0
		if c.Memory != nil {
			per = c.Memory.RSSPerConn
		}
		t.Measured = fmt.Sprintf("%s of %s connected at %s/s, %.1f KB RSS per connection", thousands(float64(c.Setup.Connected)),
			thousands(float64(c.Setup.Clients)), thousands(c.Setup.ConnectPerSec), per/1024)
		t.BoundBy = BoundBy(c.Setup.CPU)
		var gaps []string
		if c.Setup.Connected < 100000 {
			gaps = append(gaps, shortBy(float64(c.Setup.Connected), 100000))
		}
		if per >= 10*1024 {
			gaps = append(gaps, fmt.Sprintf("memory %.0f%% over", 100*(per/(10*1024)-1)))
		}
		if len(c.Steps) > 0 && !c.Steps[0].Pass {
			gaps = append(gaps, "while held: "+c.Steps[0].Why)
		}
		judge(&t, len(gaps) == 0 && len(c.Steps) > 0, strings.Join(gaps, "; "))
	} else {
		judge(&t, false, "")
	}
	add(t)

	rooms := chatTarget("rooms: 2,000 clients in 200 rooms of 10, 1 msg/s each", "p99 < 20 ms, delivered/expected = 1.0", r.Rooms, 20)
	rooms.workload = "rooms" // profiled during the first step, the one this target judges
	add(rooms)
	broadcast := chatTarget("broadcast: 5,000 members, 10 msgs/s", "p99 < 100 ms, delivered/expected = 1.0", r.Broadcast, 100)
	broadcast.workload = "broadcast"
	add(broadcast)
	if r.Sustained != nil {
		add(sustainedTarget(r.Sustained))
	}
	if k := r.Rooms; k != nil && len(k.Steps) > 1 {
		add(Target{Name: "rooms: the knee", Goal: fmt.Sprintf("highest load with p99 < %.0f ms and everything delivered", kneeP99),
			Measured: kneeText(k), Status: "measured"})
	}
	r.explainMisses()
}

// explainMisses adds, to each missed target, where its workload's
// profiled CPU went.
func (r *Report) explainMisses() {
	for i := range r.Targets {
		if t := &r.Targets[i]; t.Status == "missed" && t.workload != "" {
			t.Profile = profileClause(r.profilesOf(t.workload))
		}
	}
}

func chatTarget(name, goal string, rep *scenario.Report, p99 float64) Target {
	t := Target{Name: name, Goal: goal}
	if rep == nil || len(rep.Steps) == 0 {
		judge(&t, false, "")
		return t
	}
	s := rep.Steps[0]
	t.Measured = fmt.Sprintf("p99 %.1f ms (p50 %.1f, max %.1f), delivered %d/%d = %.4f, %s msgs/s acked",
		s.E2E.P99, s.E2E.P50, s.E2E.Max, s.Delivered, s.Expected, s.DeliveryRatio, thousands(s.AckedPerSec))
	if s.LastCopy != nil {
		t.Measured += fmt.Sprintf("; first copy p99 %.1f ms, last copy p99 %.1f ms", s.FirstCopy.P99, s.LastCopy.P99)
	}
	t.BoundBy = BoundBy(s.CPU)
	var gaps []string
	if s.E2E.P99 >= p99 {
		gaps = append(gaps, fmt.Sprintf("p99 %.1f ms is %.1fx the goal", s.E2E.P99, s.E2E.P99/p99))
	}
	if !s.Pass && !strings.HasPrefix(s.Why, "p99") {
		gaps = append(gaps, s.Why) // the p99 bound of the step itself is already said
	}
	if f := rep.Setup.ConnectFailed + rep.Setup.JoinFailed; f > 0 {
		gaps = append(gaps, fmt.Sprintf("%d clients failed to connect or join", f))
	}
	judge(&t, len(gaps) == 0, strings.Join(gaps, "; "))
	return t
}

// kneeText names the highest load (of all the rooms steps, by offered
// load) below which every step met the rooms goal, and the first miss.
// kneeP99 bounds the knee (issue 6: the highest per-client rate at which
// everything is delivered with p99 under 50 ms).
const kneeP99 = 50.0

func kneeText(k *scenario.Report) string {
	steps := slices.Clone(k.Steps)
	slices.SortStableFunc(steps, func(a, b scenario.StepSummary) int { return cmp.Compare(a.OfferedPerSec, b.OfferedPerSec) })
	best, miss := 0.0, ""
	for _, s := range steps {
		if !s.Pass || s.E2E.P99 >= kneeP99 {
			miss = fmt.Sprintf("; at %s msgs/s: p99 %.1f ms, delivered/expected %.4f %s", thousands(s.OfferedPerSec), s.E2E.P99, s.DeliveryRatio, s.Why)
			break
		}
		best = s.OfferedPerSec
	}
	if best == 0 {
		return fmt.Sprintf("below the lowest step (%s msgs/s)%s", thousands(steps[0].OfferedPerSec), miss)
	}
	return fmt.Sprintf("%s msgs/s (%d clients)%s", thousands(best), k.Setup.Clients, miss)
}

func judge(t *Target, ok bool, gap string) {
	switch {
	case t.Measured == "":
		t.Status = "not run"
	case ok:
		t.Status = "met"
	default:
		t.Status, t.Gap = "missed", gap
	}
}

func shortBy(got, want float64) string {
	if got >= want {
		return ""
	}
	return fmt.Sprintf("short by %.0f%% (%s of %s)", 100*(1-got/want), thousands(got), thousands(want))
}

// thousands formats 12345.6 as "12,346".
func thousands(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}
