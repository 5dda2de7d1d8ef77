package socket

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/chatforge/chat/apps/gateway/internal/hub"
	"github.com/chatforge/chat/apps/gateway/internal/protocol"
	"github.com/chatforge/chat/apps/gateway/internal/streams"
	"github.com/chatforge/chat/modules/messaging/wire"
	"github.com/chatforge/chat/platform/tracing"
)

// fanoutQueueLen bounds the events read and not yet dispatched: a fan-out
// this far behind holds the event reader back.
const fanoutQueueLen = 1024

// fanoutQueue hands the event reader's entries to the fan-out goroutine
// (runFanout), so the reader goes on reading while a large room is
// written and the room's next message can join the fan-out in progress
// (see absorb). ahead is an entry taken from ch by absorb that was not the
// room's next message: it is dispatched next, keeping stream order.
type fanoutQueue struct {
	ch       chan streams.Entry
	ahead    streams.Entry
	hasAhead bool
	// busy: events were waiting when the one in hand was dispatched.
	busy atomic.Bool
}

// queueEvent is the event reader's handler: it queues e for runFanout.
func (g *Gateway) queueEvent(e streams.Entry) {
	select {
	case g.fq.ch <- e:
	case <-g.life.Done():
	}
}

// runFanout dispatches the queued events, one at a time, in stream order.
func (g *Gateway) runFanout(ctx context.Context) error {
	for {
		if g.fq.hasAhead {
			e := g.fq.ahead
			g.fq.ahead, g.fq.hasAhead = streams.Entry{}, false
			g.dispatch(e)
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case e := <-g.fq.ch:
			g.dispatch(e)
		}
	}
}

// dispatch hands e to onEvent, first noting whether more events wait
// behind it: while they do, frames are queued to the sockets' writers
// (which then coalesce them) rather than written one by one by the
// fan-out (WS_DIRECT_WRITES), which would keep a gateway that fell behind
// from catching up.
func (g *Gateway) dispatch(e streams.Entry) {
	g.fq.busy.Store(g.fq.hasAhead || len(g.fq.ch) > 0)
	g.onEvent(e)
}

// directWrite is a socket's wsout.Outbox.Direct with WS_DIRECT_WRITES:
// write at once while the fan-out keeps up.
func (g *Gateway) directWrite(write func([]byte) bool) func([]byte) bool {
	return func(b []byte) bool { return !g.fq.busy.Load() && write(b) }
}

// absorb takes the next queued event if it is room's next message and
// returns its frame (hub.DeliverMessages' next, on runFanout's goroutine).
// Anything else is kept as the next to dispatch, and ends the absorbing.
// Duplicates of the at-least-once relay and undecodable entries are
// dropped as onEvent would. A traced event is dispatched on its own, under
// its own span.
func (g *Gateway) absorb(room string) (hub.Message, bool) {
	for !g.fq.hasAhead {
		var e streams.Entry
		select {
		case e = <-g.fq.ch:
		default:
			return hub.Message{}, false
		}
		if e.Type != wire.EventMessageCreated || e.Room != room || e.ID == "" || (g.Tracing.Enabled() && e.Trace != "") {
			g.fq.ahead, g.fq.hasAhead = e, true
			break
		}
		if !g.seen.add(e.ID) {
			continue
		}
		g.Metrics.StreamLag.Set(time.Since(e.Time()).Seconds())
		if data, seq, ok := g.messageCreated(e); ok {
			return hub.Message{Seq: seq, Frame: protocol.ReceiveMessage(data)}, true
		}
	}
	return hub.Message{}, false
}

// messageCreated reads a message-created event: its data (the message in
// its wire shape, forwarded as is) and seq (the per-connection duplicate
// filter). ok is false for a malformed one, counted.
func (g *Gateway) messageCreated(e streams.Entry) (data []byte, seq int64, ok bool) {
	if !e.At.IsZero() {
		g.Metrics.EventAge.Observe(time.Since(e.At).Seconds())
	}
	var m struct {
		Seq int64 `json:"seq"`
	}
	data = []byte(e.Data)
	if err := json.Unmarshal(data, &m); err != nil || m.Seq <= 0 {
		g.Metrics.EventsFailed.Inc()
		return nil, 0, false
	}
	return data, m.Seq, true
}

// onEvent dispatches one event stream entry to the local sockets. It runs
// on the fan-out goroutine (or a test's), in stream order.
func (g *Gateway) onEvent(e streams.Entry) {
	g.Metrics.StreamLag.Set(time.Since(e.Time()).Seconds())
	// A receipt also goes to the reader's own sockets that have not joined
	// the room (a device showing the room list): it passes this check and
	// is filtered below.
	if e.ID == "" || e.Room == "" || (e.Type != wire.EventReceiptUpdated && !g.hub.HasRoom(e.Room)) || !g.seen.add(e.ID) {
		return // malformed, nobody here is in the room, or a duplicate of the at-least-once relay
	}
	if g.Tracing.Enabled() && e.Trace != "" {
		_, span := g.Tracing.StartRemote(g.life, "fanout "+e.Type, e.Trace, tracing.Consumer)
		span.SetAttributes(attribute.String("chat.gateway.id", g.cfg.GatewayID), attribute.String("chat.room.id", e.Room),
			attribute.String("chat.event.id", e.ID))
		defer span.End()
	}
	switch e.Type {
	case wire.EventMessageCreated:
		data, seq, ok := g.messageCreated(e)
		if !ok {
			return
		}
		start := time.Now()
		g.hub.DeliverMessages(e.Room, hub.Message{Seq: seq, Frame: protocol.ReceiveMessage(data)},
			func() (hub.Message, bool) { return g.absorb(e.Room) })
		g.Metrics.Fanout.Observe(time.Since(start).Seconds())
	case wire.EventMessageUpdated:
		// Forwarded as is to the room's live connections, held during a
		// join with its messages and skipped where the join's replay carried
		// it (its rev); a connection that misses it (away) catches up with
		// join-room's lastRev or changedSince.
		var m struct {
			Rev int64 `json:"rev"`
		}
		data := []byte(e.Data)
		if err := json.Unmarshal(data, &m); err != nil || m.Rev <= 0 {
			g.Metrics.EventsFailed.Inc()
			return
		}
		g.hub.DeliverUpdate(e.Room, m.Rev, protocol.MessageUpdated(data))
	case wire.EventReceiptUpdated:
		var r wire.Receipt
		if err := json.Unmarshal([]byte(e.Data), &r); err != nil {
			g.Metrics.EventsFailed.Inc()
			return
		}
		g.deliverReceipt(e.Room, r)
	case wire.EventMembershipChanged:
		var c wire.MembershipChange
		if err := json.Unmarshal([]byte(e.Data), &c); err != nil {
			g.Metrics.EventsFailed.Inc()
			return
		}
		// A user who left or was removed stops receiving the room at once
		// (a private room must not leak); re-joining asks the api again.
		if c.Action == wire.ActionLeft || c.Action == wire.ActionRemoved {
			g.hub.RemoveUserFromRoom(c.UserID, e.Room)
		}
	}
}

// deliverReceipt sends a moved read pointer to the reader's own sockets,
// every device, in the room or not, with what is left unread (so their
// badges clear at once), and to the other sockets in the room without it.
func (g *Gateway) deliverReceipt(room string, r wire.Receipt) {
	own := g.hub.User(r.UserID)
	if len(own) > 0 {
		var frame []byte
		if r.Unread != nil {
			frame = protocol.MessageReadOwn(room, r.UserID, r.Seq, *r.Unread)
		} else {
			frame = protocol.MessageRead(room, r.UserID, r.Seq)
		}
		n := 0
		for _, c := range own {
			if c.Send(frame) {
				n++
			}
		}
		g.Metrics.FramesOut(n)
	}
	if g.hub.HasRoom(room) {
		g.hub.DeliverRoom(room, r.UserID, protocol.MessageRead(room, r.UserID, r.Seq))
	}
}

// recentIDs remembers the last n event ids to drop duplicates. Used by the
// event reader goroutine only.
type recentIDs struct {
	set  map[string]struct{}
	ring []string
	next int
}

func newRecentIDs(n int) *recentIDs {
	return &recentIDs{set: make(map[string]struct{}, n), ring: make([]string, n)}
}

// add records id and reports whether it is new.
func (r *recentIDs) add(id string) bool {
	if _, dup := r.set[id]; dup {
		return false
	}
	if old := r.ring[r.next]; old != "" {
		delete(r.set, old)
	}
	r.ring[r.next] = id
	r.set[id] = struct{}{}
	r.next = (r.next + 1) % len(r.ring)
	return true
}
