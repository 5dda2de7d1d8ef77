package socket

import (
	"encoding/json"
	"slices"

	"github.com/chatforge/chat/apps/gateway/internal/hub"
	"github.com/chatforge/chat/apps/gateway/internal/protocol"
	"github.com/chatforge/chat/modules/calls/signal"
	"github.com/chatforge/chat/modules/messaging/wire"
)

// callCommandData is a call event's data as the api's calls module reads
// it (its validation is repeated there).
type callCommandData struct {
	CallID    string          `json:"callId"`
	RoomID    string          `json:"roomId,omitempty"`
	Media     string          `json:"media,omitempty"`
	SDP       string          `json:"sdp,omitempty"`
	Candidate json.RawMessage `json:"candidate,omitempty"`
}

// callEvent runs call-invite, call-answer, call-ice or call-hangup on the
// api (membership, call state, who gets what) and acks with its answer.
// The frames for other sockets travel on the calls channel (onCallSignal),
// not through this reply. Always answered, like the other commands.
func (cl *client) callEvent(env protocol.Envelope) {
	d, perr := protocol.DecodeCall(env.Event, env.Data)
	if perr != nil {
		cl.fail(env.Ref, perr, true)
		return
	}
	if !cl.allowCommand(env.Ref) {
		return
	}
	r, _ := cl.command(env.Ref, wire.CommandType(env.Event), callCommandData{
		CallID: d.CallID, RoomID: d.RoomID, Media: d.Media, SDP: d.SDP, Candidate: d.Candidate,
	})
	if r != nil {
		cl.send(protocol.Ack(env.Ref, r.Data))
	}
}

// onCallSignal delivers a call frame from the calls channel to the local
// sockets it is addressed to: every socket of its users and of its
// sessions, but those of its excepted sessions, each once.
func (g *Gateway) onCallSignal(s signal.Signal) {
	frame := protocol.Frame(s.Event, nil, s.Data)
	var sent []*hub.Conn
	deliver := func(conns []*hub.Conn) {
		for _, c := range conns {
			if slices.Contains(s.Except, c.SessionID) || slices.Contains(sent, c) {
				continue
			}
			sent = append(sent, c)
			c.Send(frame)
		}
	}
	for _, u := range s.Users {
		deliver(g.hub.User(u))
	}
	for _, sid := range s.Sessions {
		deliver(g.hub.Session(sid))
	}
	g.Metrics.FramesOut(len(sent))
}
