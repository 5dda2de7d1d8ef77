package scenario

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/chatforge/chat/tests/load/internal/hist"
	"github.com/chatforge/chat/tests/load/internal/hops"
	"github.com/chatforge/chat/tests/load/internal/procstat"
)

// Report is a workload's outcome, written as JSON.
type Report struct {
	Workload string        `json:"workload"`
	Config   Config        `json:"config"`
	Procs    int           `json:"loadProcesses"`
	Started  time.Time     `json:"started"`
	Setup    SetupSummary  `json:"setup"`
	Memory   *Memory       `json:"memory,omitempty"`
	Steps    []StepSummary `json:"steps"`
	Knee     *Knee         `json:"knee,omitempty"`
}

// SetupSummary is the connect and join phase.
type SetupSummary struct {
	Clients       int                `json:"clients"`
	Connected     int                `json:"connected"`
	ConnectFailed int                `json:"connectFailed"`
	Joined        int                `json:"joined"`
	JoinFailed    int                `json:"joinFailed"`
	WallSec       float64            `json:"wallSec"`
	ConnectPerSec float64            `json:"connectPerSec"`
	Connect       hist.Summary       `json:"connectLatency"`
	Join          hist.Summary       `json:"joinLatency"`
	Errors        map[string]int     `json:"errors,omitempty"`
	CPU           procstat.CPUReport `json:"cpu"`
	// CPUPerConnectMs: CPU milliseconds each process group spent per
	// connection opened (handshake, token check, registration).
	CPUPerConnectMs map[string]float64 `json:"cpuPerConnectMs,omitempty"`
}

func summarizeSetup(r *SetupResult, cpu procstat.CPUReport) SetupSummary {
	s := SetupSummary{Clients: r.Clients, Connected: r.Connected, ConnectFailed: r.ConnectFailed, Joined: r.Joined,
		JoinFailed: r.JoinFailed, WallSec: r.WallSec, Connect: r.Connect.Summary(), Join: r.Join.Summary(), Errors: r.Errors, CPU: cpu}
	if r.WallSec > 0 {
		s.ConnectPerSec = float64(r.Connected) / r.WallSec
	}
	if r.Connected > 0 {
		s.CPUPerConnectMs = map[string]float64{}
		for name, u := range cpu.Groups {
			s.CPUPerConnectMs[name] = u.CPUSec * 1000 / float64(r.Connected)
		}
	}
	return s
}

// StepSummary is one step's figures.
type StepSummary struct {
	Step
	Senders          int                `json:"senders"`
	OfferedPerSec    float64            `json:"offeredMsgsPerSec"`
	AckedPerSec      float64            `json:"ackedMsgsPerSec"`
	DeliveriesPerSec float64            `json:"deliveriesPerSec"`
	Sent             int64              `json:"sent"`
	Acked            int64              `json:"acked"`
	Unacked          int64              `json:"unacked"`
	SendFailed       int64              `json:"sendFailed"`
	SendErrors       map[string]int64   `json:"sendErrors,omitempty"`
	Delivered        int64              `json:"delivered"`
	Expected         int64              `json:"expected"`
	DeliveryRatio    float64            `json:"deliveredOverExpected"`
	Stale            int64              `json:"staleDeliveries"`
	Duplicates       int64              `json:"duplicates"`
	Gaps             int64              `json:"gaps"`
	E2E              hist.Summary       `json:"e2eLatency"`
	Ack              hist.Summary       `json:"ackLatency"`
	SendLag          hist.Summary       `json:"loadSendLag"`
	LoadSched        *hist.Summary      `json:"loadSchedLatency,omitempty"` // the tool's goroutines' wait to run
	LoadReadLag      *hist.Summary      `json:"loadReadLag,omitempty"`      // a message frame's arrival to the tool's reader having it
	Stored           hist.Summary       `json:"storedLatency"`              // send to the message's timestamp
	AfterStore       hist.Summary       `json:"afterStoreLatency"`          // the message's timestamp to each delivery
	FirstCopy        *hist.Summary      `json:"firstCopy,omitempty"`
	LastCopy         *hist.Summary      `json:"lastCopy,omitempty"`
	Incomplete       int                `json:"incompleteMessages,omitempty"` // broadcast: messages some member missed
	Drops            int                `json:"drops"`
	CloseCodes       map[int]int        `json:"closeCodes,omitempty"`
	Other            map[string]int64   `json:"otherFrames,omitempty"`
	CPU              procstat.CPUReport `json:"cpu"`
	// Hops is where the step's messages spent their time, per hop of the
	// path, from the binaries' histograms (Options.Hops), drain included.
	Hops []hops.Row `json:"hops,omitempty"`
	Pass bool       `json:"pass"`
	Why  string     `json:"why,omitempty"`
}

func summarizeStep(r *StepResult, cpu procstat.CPUReport, stopP99 time.Duration) StepSummary {
	sec := r.Step.Duration.Seconds()
	s := StepSummary{Step: r.Step, Senders: r.Senders, OfferedPerSec: float64(r.Senders) * r.Step.Rate,
		Sent: r.Sent, Acked: r.Acked, Unacked: r.Unacked, SendFailed: r.SendFailed, SendErrors: r.SendErrors,
		Delivered: r.Delivered, Expected: r.Expected(), Stale: r.Stale, Duplicates: r.Duplicates, Gaps: r.Gaps,
		E2E: r.E2E.Summary(), Ack: r.Ack.Summary(), SendLag: r.SendLag.Summary(), Drops: r.Drops,
		Stored: r.Stored.Summary(), AfterStore: r.AfterStore.Summary(),
		CloseCodes: r.CloseCodes, Other: r.Other, CPU: cpu}
	if r.Sched != nil && r.Sched.Count() > 0 {
		sched := r.Sched.Summary()
		s.LoadSched = &sched
	}
	if r.ReadLag != nil && r.ReadLag.Count() > 0 {
		lag := r.ReadLag.Summary()
		s.LoadReadLag = &lag
	}
	if sec > 0 {
		s.AckedPerSec = float64(r.Acked) / sec
		s.DeliveriesPerSec = float64(r.Delivered) / sec
	}
	if s.Expected > 0 {
		s.DeliveryRatio = float64(s.Delivered) / float64(s.Expected)
	}
	if len(r.Spreads) > 0 {
		first, last := hist.New(), hist.New()
		members := 0
		for _, n := range r.RoomJoined {
			members = max(members, n)
		}
		for _, sp := range r.Spreads {
			first.Record(time.Duration(sp.First - sp.SentNs))
			last.Record(time.Duration(sp.Last - sp.SentNs))
			if sp.Copies < members {
				s.Incomplete++
			}
		}
		f, l := first.Summary(), last.Summary()
		s.FirstCopy, s.LastCopy = &f, &l
	}
	s.Pass, s.Why = verdict(s, stopP99)
	return s
}

// verdict: a step passes when every sent message was acked and delivered
// exactly once to every member, in order, with no socket dropped (and,
// when asked, a p99 under the bound).
func verdict(s StepSummary, stopP99 time.Duration) (bool, string) {
	var why []string
	if s.Rate > 0 {
		if s.Acked != s.Sent {
			why = append(why, fmt.Sprintf("acked %d of %d sent", s.Acked, s.Sent))
		}
		if s.Delivered != s.Expected {
			why = append(why, fmt.Sprintf("delivered %d of %d expected", s.Delivered, s.Expected))
		}
		if s.Duplicates+s.Gaps > 0 {
			why = append(why, fmt.Sprintf("%d duplicates, %d gaps", s.Duplicates, s.Gaps))
		}
		if stopP99 > 0 && s.E2E.P99 > float64(stopP99.Microseconds())/1000 {
			why = append(why, fmt.Sprintf("p99 %.1fms above %s", s.E2E.P99, stopP99))
		}
	}
	if s.Drops > 0 {
		why = append(why, fmt.Sprintf("%d sockets dropped", s.Drops))
	}
	if len(why) == 0 {
		return true, ""
	}
	return false, strings.Join(why, "; ")
}

// Knee is the highest passing load of a stepped run and the first failing.
type Knee struct {
	MaxPassingMsgsPerSec float64 `json:"maxPassingMsgsPerSec"`
	FirstFailingPerSec   float64 `json:"firstFailingMsgsPerSec,omitempty"`
	Why                  string  `json:"why,omitempty"`
}

// knee looks at every step (the standard one included), by offered load.
func knee(steps []StepSummary) *Knee {
	if len(steps) < 2 {
		return nil
	}
	byLoad := slices.Clone(steps)
	slices.SortStableFunc(byLoad, func(a, b StepSummary) int { return cmp.Compare(a.OfferedPerSec, b.OfferedPerSec) })
	k := &Knee{}
	for _, s := range byLoad {
		if !s.Pass {
			k.FirstFailingPerSec, k.Why = s.OfferedPerSec, s.Why
			break
		}
		k.MaxPassingMsgsPerSec = s.OfferedPerSec
	}
	return k
}

// Memory is the gateways' memory before and after the sockets opened.
type Memory struct {
	Gateways []GatewayMemory `json:"gateways"`
	// Per connection, over all gateways: from RSS, and from the Go heap and
	// stacks in use (what the process would need without allocator slack).
	Conns            float64 `json:"connections"`
	RSSPerConn       float64 `json:"rssBytesPerConnection"`
	HeapStackPerConn float64 `json:"heapStackBytesPerConnection"`
	RSSAfterHold     float64 `json:"rssBytesAfterHold"`
}

// GatewayMemory is one gateway, from its /metrics.
type GatewayMemory struct {
	URL             string  `json:"url"`
	ConnsBefore     float64 `json:"connectionsBefore"`
	ConnsAfter      float64 `json:"connectionsAfter"`
	RSSBefore       float64 `json:"rssBefore"`
	RSSAfter        float64 `json:"rssAfter"`
	HeapStackBefore float64 `json:"heapStackBefore"`
	HeapStackAfter  float64 `json:"heapStackAfter"`
	GoroutinesAfter float64 `json:"goroutinesAfter"`
}

func heapStack(m map[string]float64) float64 {
	return m["go_memstats_heap_inuse_bytes"] + m["go_memstats_stack_inuse_bytes"]
}

func memoryReport(urls []string, before, after []map[string]float64) *Memory {
	m := &Memory{}
	var drss, dheap float64
	for i, u := range urls {
		b, a := before[i], after[i]
		g := GatewayMemory{URL: u, ConnsBefore: b["gateway_connections"], ConnsAfter: a["gateway_connections"],
			RSSBefore: b["process_resident_memory_bytes"], RSSAfter: a["process_resident_memory_bytes"],
			HeapStackBefore: heapStack(b), HeapStackAfter: heapStack(a), GoroutinesAfter: a["go_goroutines"]}
		m.Gateways = append(m.Gateways, g)
		m.Conns += g.ConnsAfter - g.ConnsBefore
		drss += g.RSSAfter - g.RSSBefore
		dheap += g.HeapStackAfter - g.HeapStackBefore
	}
	if m.Conns > 0 {
		m.RSSPerConn, m.HeapStackPerConn = drss/m.Conns, dheap/m.Conns
	}
	return m
}

func (m *Memory) afterHold(after []map[string]float64) {
	for _, a := range after {
		m.RSSAfterHold += a["process_resident_memory_bytes"]
	}
}
