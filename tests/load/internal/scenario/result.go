package scenario

import (
	"maps"

	"github.com/chatforge/chat/tests/load/internal/hist"
)

// SetupResult is what a shard saw while connecting and joining.
type SetupResult struct {
	Clients       int            `json:"clients"`
	Connected     int            `json:"connected"`
	ConnectFailed int            `json:"connectFailed"`
	Joined        int            `json:"joined"`
	JoinFailed    int            `json:"joinFailed"`
	Errors        map[string]int `json:"errors,omitempty"` // first words of each error -> count
	Connect       *hist.Hist     `json:"connectHist"`      // dial to ready
	Join          *hist.Hist     `json:"joinHist"`         // join-room to its ack
	WallSec       float64        `json:"wallSec"`
	RoomJoined    map[string]int `json:"roomJoined,omitempty"`
}

func newSetup(clients int) *SetupResult {
	return &SetupResult{Clients: clients, Errors: map[string]int{}, Connect: hist.New(), Join: hist.New(), RoomJoined: map[string]int{}}
}

// Merge adds o's counts and samples to r.
func (r *SetupResult) Merge(o *SetupResult) {
	r.Clients += o.Clients
	r.Connected += o.Connected
	r.ConnectFailed += o.ConnectFailed
	r.Joined += o.Joined
	r.JoinFailed += o.JoinFailed
	addCounts(r.Errors, o.Errors)
	addCounts(r.RoomJoined, o.RoomJoined)
	r.Connect.Merge(o.Connect)
	r.Join.Merge(o.Join)
	r.WallSec = max(r.WallSec, o.WallSec)
}

// Spread is when the first and last copy of one message arrived.
type Spread struct {
	Sender int   `json:"s"`
	SentNs int64 `json:"t"`
	First  int64 `json:"f"`
	Last   int64 `json:"l"`
	Copies int   `json:"n"`
}

type spreadKey struct {
	sender int
	sent   int64
}

// StepResult is what a shard measured during one step.
type StepResult struct {
	Step       Step             `json:"step"`
	Senders    int              `json:"senders"`
	Sent       int64            `json:"sent"`
	Acked      int64            `json:"acked"`
	Unacked    int64            `json:"unacked"`    // no answer before the drain ended
	SendFailed int64            `json:"sendFailed"` // the write itself failed
	SendErrors map[string]int64 `json:"sendErrors,omitempty"`
	Delivered  int64            `json:"delivered"`
	Stale      int64            `json:"stale"` // deliveries of an earlier step's messages
	Duplicates int64            `json:"duplicates"`
	Gaps       int64            `json:"gaps"` // seqs skipped on a connection
	E2E        *hist.Hist       `json:"e2eHist"`
	Ack        *hist.Hist       `json:"ackHist"`
	SendLag    *hist.Hist       `json:"sendLagHist"` // how late the load tool sent: its own saturation
	// Sched is how long this tool's goroutines waited to run once ready
	// (the Go runtime's /sched/latencies), sending and drain: a reader
	// that waits stamps its frames late, so it bounds what the tool adds
	// to every receive figure.
	Sched *hist.Hist `json:"schedHist,omitempty"`
	// ReadLag is how long each message frame waited between its arrival
	// (the kernel's receive time) and this tool's reader having it: what
	// stamping at read would have added.
	ReadLag *hist.Hist `json:"readLagHist,omitempty"`
	// The message's timestamp (the database clock when its room was
	// locked, ms precision, same host) splits e2e in two: Stored is send
	// to that timestamp (the command path up to the store), AfterStore is
	// that timestamp to each delivery (commit, relay, stream, fan-out and
	// this tool's own reading).
	Stored     *hist.Hist       `json:"storedHist"`
	AfterStore *hist.Hist       `json:"afterStoreHist"`
	RoomAcked  map[string]int64 `json:"roomAcked,omitempty"`
	RoomJoined map[string]int   `json:"roomJoined,omitempty"`
	Spreads    []Spread         `json:"spreads,omitempty"`
	Drops      int              `json:"drops"` // sockets closed by the server so far
	CloseCodes map[int]int      `json:"closeCodes,omitempty"`
	Other      map[string]int64 `json:"otherFrames,omitempty"`
}

func newStepResult(st Step) *StepResult {
	return &StepResult{Step: st, SendErrors: map[string]int64{}, E2E: hist.New(), Ack: hist.New(), SendLag: hist.New(),
		Sched: hist.New(), ReadLag: hist.New(), Stored: hist.New(), AfterStore: hist.New(),
		RoomAcked: map[string]int64{}, RoomJoined: map[string]int{}, CloseCodes: map[int]int{}, Other: map[string]int64{}}
}

// Merge adds o to r. Spreads of the same message are combined.
func (r *StepResult) Merge(o *StepResult) {
	r.Step = o.Step
	r.Senders += o.Senders
	r.Sent += o.Sent
	r.Acked += o.Acked
	r.Unacked += o.Unacked
	r.SendFailed += o.SendFailed
	r.Delivered += o.Delivered
	r.Stale += o.Stale
	r.Duplicates += o.Duplicates
	r.Gaps += o.Gaps
	r.Drops += o.Drops
	addCounts(r.SendErrors, o.SendErrors)
	addCounts(r.RoomAcked, o.RoomAcked)
	addCounts(r.RoomJoined, o.RoomJoined)
	addCounts(r.CloseCodes, o.CloseCodes)
	addCounts(r.Other, o.Other)
	r.E2E.Merge(o.E2E)
	r.Ack.Merge(o.Ack)
	r.SendLag.Merge(o.SendLag)
	if r.Sched != nil {
		r.Sched.Merge(o.Sched)
	}
	if r.ReadLag != nil {
		r.ReadLag.Merge(o.ReadLag)
	}
	r.Stored.Merge(o.Stored)
	r.AfterStore.Merge(o.AfterStore)
	if len(o.Spreads) > 0 {
		idx := make(map[spreadKey]int, len(r.Spreads))
		for i, s := range r.Spreads {
			idx[spreadKey{s.Sender, s.SentNs}] = i
		}
		for _, s := range o.Spreads {
			i, ok := idx[spreadKey{s.Sender, s.SentNs}]
			if !ok {
				idx[spreadKey{s.Sender, s.SentNs}] = len(r.Spreads)
				r.Spreads = append(r.Spreads, s)
				continue
			}
			m := &r.Spreads[i]
			m.First, m.Last, m.Copies = min(m.First, s.First), max(m.Last, s.Last), m.Copies+s.Copies
		}
	}
}

// Expected is how many deliveries the step should have made: every acked
// message reaches every joined member of its room, the sender included.
func (r *StepResult) Expected() int64 {
	var n int64
	for room, acked := range r.RoomAcked {
		n += acked * int64(r.RoomJoined[room])
	}
	return n
}

func addCounts[K comparable, V int | int64](dst, src map[K]V) {
	for k, v := range maps.All(src) {
		dst[k] += v
	}
}
