// Package scenario runs the socket workloads of the load tool against one
// or more gateways: connections (open and hold N sockets), rooms (clients
// in small rooms sending at a fixed rate) and broadcast (one big room).
//
// A workload is split into shards of clients; each shard runs in this
// process or in a child process (a process may hold only ~20k files, so
// 100k sockets need several). Shards connect and join, report ready, then
// run one step per "go" (a sending rate for a duration) and report a
// Result that the parent merges: counts add up, HDR histograms merge, and
// expected deliveries are computed from what every shard saw.
package scenario

import (
	"errors"
	"fmt"
	"time"

	"github.com/chatforge/chat/tests/load/internal/seed"
)

// Workloads.
const (
	Connections = "connections"
	Rooms       = "rooms"
	Broadcast   = "broadcast"
)

// Config is the whole workload, identical in every shard.
type Config struct {
	Workload  string   `json:"workload"`
	SeedPath  string   `json:"seedPath"`
	URLs      []string `json:"urls"`      // gateway ws URLs; client c uses URLs[c % len]
	Clients   int      `json:"clients"`   // sockets in all
	FirstUser int      `json:"firstUser"` // client c is seeded user FirstUser+c
	// Senders: how many clients send (broadcast); 0 means every client.
	Senders      int           `json:"senders"`
	ContentBytes int           `json:"contentBytes"`
	Drain        time.Duration `json:"drain"` // cap on waiting for acks and deliveries after a step
	SourceIPs    int           `json:"sourceIPs"`
	DialParallel int           `json:"dialParallel"` // concurrent handshakes per shard
	QueryToken   bool          `json:"queryToken"`
	// ReadTime: frames are stamped when this tool's reader has them
	// instead of with the kernel's receive time (wsclient.Dialer.ReadTime).
	ReadTime bool `json:"readTime,omitempty"`
	// SocketIO: URLs are /socket.io/ websocket URLs and the clients speak
	// Socket.IO (wsclient.Dialer.SocketIO).
	SocketIO bool `json:"socketIO"`
	// Polling (with SocketIO): Engine.IO's HTTP long-polling transport.
	Polling bool `json:"polling,omitempty"`
	// PollSpread (with Polling): each session's requests rotate over every
	// URL after its handshake (no sticky sessions: the gateways forward).
	PollSpread bool   `json:"pollSpread,omitempty"`
	RunID      string `json:"runId"` // marks this run's messages
	// ConnectTimeout bounds the setup of a shard (dial and join everyone).
	ConnectTimeout time.Duration `json:"connectTimeout"`
}

// Step is one measured phase: every sender sends Rate messages a second
// for Duration (Rate 0: the sockets are only held).
type Step struct {
	N        int           `json:"n"`
	Rate     float64       `json:"rate"`
	Duration time.Duration `json:"duration"`
}

// Validate checks the config against its seed.
func (c Config) Validate(s seed.File) error {
	var errs []error
	bad := func(f string, a ...any) { errs = append(errs, fmt.Errorf(f, a...)) }
	switch c.Workload {
	case Connections, Rooms, Broadcast:
	default:
		bad("unknown workload %q", c.Workload)
	}
	if len(c.URLs) == 0 {
		bad("no gateway URL")
	}
	if c.Clients < 1 || c.FirstUser < 0 || c.FirstUser+c.Clients > s.Users {
		bad("clients %d from user %d: the seed has %d users", c.Clients, c.FirstUser, s.Users)
	}
	if c.Workload == Rooms {
		if _, ok := s.RoomOf(c.FirstUser + c.Clients - 1); !ok {
			bad("clients beyond the seeded group rooms (%d rooms of %d)", s.GroupRooms(), s.RoomSize)
		}
	}
	if c.Workload == Broadcast && c.FirstUser+c.Clients > s.BigRoomMembers {
		bad("broadcast needs clients within the big room's %d members", s.BigRoomMembers)
	}
	if c.Senders < 0 || c.Senders > c.Clients {
		bad("senders must be 0..clients")
	}
	if c.Polling && !c.SocketIO {
		bad("polling needs socketio")
	}
	if c.PollSpread && !c.Polling {
		bad("poll-spread needs polling")
	}
	if c.ContentBytes < 40 || c.ContentBytes > 4000 {
		bad("content bytes must be 40..4000")
	}
	return errors.Join(errs...)
}

// room returns the room client c joins ("" for connections).
func (c Config) room(s seed.File, client int) string {
	switch c.Workload {
	case Rooms:
		r, _ := s.RoomOf(c.FirstUser + client)
		return seed.GroupRoomID(r)
	case Broadcast:
		return seed.BigRoomID
	}
	return ""
}

// sends reports whether client c sends messages. Broadcast senders are
// spread evenly over the clients, hence over the shards and gateways.
func (c Config) sends(client int) bool {
	if c.Workload == Connections {
		return false
	}
	if c.Senders == 0 || c.Senders == c.Clients {
		return true
	}
	stride := c.Clients / c.Senders
	return client%stride == 0 && client/stride < c.Senders
}

// senderCount is how many clients send.
func (c Config) senderCount() int {
	n := 0
	for i := range c.Clients {
		if c.sends(i) {
			n++
		}
	}
	return n
}

// marker starts the content of every message of a step: it names the run,
// the step, the sender and the send time, so receivers in any process can
// measure latency and ignore anything else.
func marker(run string, step int) string { return fmt.Sprintf("lt:%s.%d:", run, step) }

// parseMarker reads "<sender>:<unixnano>:" after the step's marker. Hand
// parsed: it runs for every delivery.
func parseMarker(rest []byte) (sender int, nanos int64, ok bool) {
	a, n1 := digits(rest)
	if n1 == 0 || n1 >= len(rest) || rest[n1] != ':' {
		return 0, 0, false
	}
	b, n2 := digits(rest[n1+1:])
	if n2 == 0 {
		return 0, 0, false
	}
	return int(a), b, true
}

func digits(b []byte) (v int64, n int) {
	for n < len(b) && n < 19 && b[n] >= '0' && b[n] <= '9' {
		v = v*10 + int64(b[n]-'0')
		n++
	}
	return v, n
}
