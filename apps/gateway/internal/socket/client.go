package socket

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/olahol/melody"

	"github.com/chatforge/chat/apps/gateway/internal/hub"
	"github.com/chatforge/chat/apps/gateway/internal/limits"
	"github.com/chatforge/chat/apps/gateway/internal/protocol"
	"github.com/chatforge/chat/apps/gateway/internal/wsout"
	"github.com/chatforge/chat/modules/presence"
	"github.com/chatforge/chat/platform/authn"
)

// clientKey carries a socket's client from serveWS to onConnect in the
// upgrade request's context; from then on g.clients has it.
type clientKey struct{}

// client is the gateway's state of one socket. The fields below the line
// are touched by one goroutine at a time, so they need no lock: holding,
// frames and handedOff only by the socket's own reader goroutine; typing
// by whoever handles frames (see frameQueue: the reader, or the socket's
// worker while one runs), then by the disconnect handler, which runs after
// the last frame and once the worker has stopped.
type client struct {
	g       *Gateway
	conn    *hub.Conn
	claims  authn.Claims
	connID  string // chosen before the upgrade: it names the socket's lease
	sess    *melody.Session
	out     wsout.Outbox
	raw     atomic.Pointer[net.Conn] // the hijacked connection (see hijackCapture)
	closing atomic.Bool
	expiry  *time.Timer // set by finishConnect, before onConnect returns
	// tr carries the frames of a socket that is not a /ws websocket (a
	// Socket.IO session, see sio.go); nil for /ws, whose frames go to
	// melody through out.
	tr transport
	// holdSettled: the hold of the implicit global join was ended or taken
	// over by the client's first frame; the hold's expiry (holdReleases)
	// must not release it then.
	holdSettled atomic.Bool

	// The handshake between serveWS and onConnect (see serveWS): handoff
	// gets nil once the socket is registered, or the handshake's error;
	// settled is closed when serveWS has finished the connect.
	handoff   chan error
	settled   chan struct{}
	handedOff bool // onConnect sent on handoff (reader goroutine only)

	// q holds the frames waiting for their turn; made by the reader at the
	// first frame that waits for the api (most sockets are idle), read by
	// Close from any goroutine.
	q atomic.Pointer[frameQueue]
	// strikes counts bad frames (see fail), found by the reader and the
	// worker alike.
	strikeMu    sync.Mutex
	strikes     int
	strikeStart time.Time

	holding bool                 // the implicit global join is held until the first frame
	frames  *limits.FrameRate    // made at the first frame: most sockets are idle
	typing  map[string]time.Time // room -> when typing-start was last published
}

func newClient(g *Gateway, claims authn.Claims, connID string) *client {
	return &client{
		g: g, claims: claims, connID: connID,
		handoff: make(chan error, 1), settled: make(chan struct{}),
	}
}

// clientOf is the client of a melody session; nil before onConnect or
// after onDisconnect.
func (g *Gateway) clientOf(s *melody.Session) *client { return g.clients.Get(s) }

// transport is a socket's carrier other than /ws: it takes v1 frames and
// translates them (Socket.IO). Write never blocks; Close sends what is
// queued, then ends the socket as code asks; Kill ends it at once.
type transport interface {
	Write(frame []byte) error
	Close(code int, reason string)
	Kill()
}

// Write queues a frame (hub.Sink).
func (cl *client) Write(frame []byte) error {
	if cl.tr != nil {
		return cl.tr.Write(frame)
	}
	direct, err := cl.out.Send(frame)
	if direct {
		cl.conn.Sent() // written: melody will not report it
	}
	return err
}

// Close sends a close frame after the queued frames; a client that does not
// take them within closeGrace is cut (hub.Sink). Frames still waiting for
// their turn are answered unavailable first; on 1001 (going away: drain,
// out of sync) the frame in hand gets its answer too, waited for up to
// closeGrace (any other close is not delayed: a revoked session's socket
// closes at once).
func (cl *client) Close(code int, reason string) {
	if !cl.closing.CompareAndSwap(false, true) {
		return
	}
	cl.g.Metrics.Closed(code)
	if done := cl.closeQueue(); done != nil && code == protocol.CloseGoingAway {
		go func() {
			t := time.NewTimer(closeGrace)
			defer t.Stop()
			select {
			case <-done:
			case <-t.C:
			}
			cl.closeNow(code, reason)
		}()
		return
	}
	cl.closeNow(code, reason)
}

// closeNow queues the close frame (see Close).
func (cl *client) closeNow(code int, reason string) {
	if cl.tr != nil {
		cl.tr.Close(code, reason)
		return
	}
	if err := cl.out.Close(melody.FormatCloseMessage(code, reason)); err != nil {
		cl.Kill()
		return
	}
	time.AfterFunc(closeGrace, func() {
		if !cl.sess.IsClosed() {
			cl.Kill()
		}
	})
}

// Kill cuts the socket at once (hub.Sink): melody's reader then fails and
// the session ends normally (disconnect handler included).
func (cl *client) Kill() {
	if cl.tr != nil {
		cl.tr.Kill()
		return
	}
	if c := cl.raw.Load(); c != nil {
		_ = (*c).Close()
	}
}

// onConnect registers the socket: ready first (so it is the first frame),
// then the implicit join of the global room; serveWS then takes presence
// and the timer that closes the socket when its token expires
// (finishConnect) while this waits, so no frame is read before the connect
// is complete.
//
// The implicit join holds the global room's live frames until the client's
// first frame (see settleHold) or GlobalHold, whichever comes first: a
// client resuming with join-room{global, lastSeq} then gets the messages
// it missed before any newer one.
func (g *Gateway) onConnect(s *melody.Session) {
	cl, _ := s.Request.Context().Value(clientKey{}).(*client)
	g.clients.Put(s, cl)
	// Nothing reads the request after the handshake: holding it (headers,
	// URL, context) for the socket's whole life would only cost memory.
	s.Request = nil
	cl.sess = s
	cl.out.Attach(s)
	g.register(cl, cl.connID)
	cl.handedOff = true
	cl.handoff <- nil
	<-cl.settled
	cl.handoff, cl.settled = nil, nil // ~200 B per socket, for its whole life
}

// register makes cl the hub connection id, whatever its transport: ready
// first, then the implicit (held) join of the global room.
func (g *Gateway) register(cl *client, id string) {
	cl.conn = hub.NewConn(id, cl.claims.UserID, cl.claims.SessionID, cl)
	g.Metrics.Connections.Inc()
	// ready is queued before the connection is registered: until Add, no
	// fan-out (presence, revocation, room frames) can find it, so nothing
	// can be queued ahead of ready.
	cl.send(protocol.Ready(cl.claims.UserID, cl.claims.SessionID, cl.conn.ID))
	g.hub.Add(cl.conn)
	if hook := g.afterAdd.Load(); hook != nil {
		(*hook)(cl.conn)
	}
	cl.holding = g.hub.JoinHeld(cl.conn, protocol.GlobalRoomID)
	if cl.holding {
		g.holds.add(cl, time.Now().Add(g.cfg.GlobalHold)) // real time, as a timer: not Deps.Now
	}
}

// finishConnect is the part of the connect that waits on Redis: the
// presence lease, the second revocation check and the expiry timer. It runs
// on serveWS's goroutine while onConnect waits (see serveWS).
func (g *Gateway) finishConnect(cl *client) {
	ctx, cancel := context.WithTimeout(g.life, 2*time.Second)
	defer cancel()
	if err := g.Presence.Connect(ctx, presence.Conn{UserID: cl.claims.UserID, ConnID: cl.conn.ID}); err != nil {
		// The next heartbeat takes the lease again.
		g.Log.Warn("presence connect failed", "conn", cl.conn.ID, "err", err)
	}
	// A revocation published between the check before the upgrade and the
	// registration in onConnect would have found no socket: look again.
	// The marker is set before the announcement the mirror waits for, so
	// this one asks Redis itself.
	if revoked, err := g.Revocations.IsRevokedInRedis(ctx, cl.claims.SessionID); err == nil && revoked {
		cl.Close(protocol.CloseUnauthorized, "session revoked")
		return
	}
	g.loadBlocks(ctx, cl.conn)
	cl.expiry = time.AfterFunc(time.Until(cl.claims.ExpiresAt), func() {
		cl.Close(protocol.CloseUnauthorized, "token expired")
	})
}

// onDisconnect unregisters the socket and releases what it held: typing
// indicators it started and its presence lease.
func (g *Gateway) onDisconnect(s *melody.Session) {
	g.unregister(g.clientOf(s))
	g.clients.Delete(s)
}

// unregister is the end of a socket, whatever its transport; it runs after
// the socket's last frame was handled.
func (g *Gateway) unregister(cl *client) {
	if cl == nil || cl.conn == nil {
		return
	}
	cl.stopQueue()
	g.hub.Remove(cl.conn)
	g.Metrics.Connections.Dec()
	if cl.expiry != nil {
		cl.expiry.Stop()
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(g.life), 2*time.Second)
	defer cancel()
	for room := range cl.typing {
		cl.publishTyping(ctx, room, false)
	}
	// Batched with the other sockets closing now (see presenceReleases).
	g.rel.add(presence.Conn{UserID: cl.claims.UserID, ConnID: cl.conn.ID})
}

// onError handles melody's errors: a full send buffer means a slow client,
// dropped at once; read errors are how every connection ends.
func (g *Gateway) onError(s *melody.Session, err error) {
	cl := g.clientOf(s)
	if cl == nil || cl.conn == nil {
		return
	}
	if errors.Is(err, melody.ErrMessageBufferFull) {
		cl.conn.Drop()
		return
	}
	if errors.Is(err, websocket.ErrReadLimit) {
		// The frame was refused from its header; the close frame on the
		// wire says 4008 (see rewriteTooBig).
		g.Metrics.Closed(protocol.ClosePolicyViolation)
		g.Metrics.FrameIn("")
		g.Log.Debug("frame beyond the hard cap", "conn", cl.conn.ID)
		return
	}
	g.Log.Debug("socket error", "conn", cl.conn.ID, "err", err)
}

// settleHold ends the hold of the implicit global join at the client's
// first frame. A join-room of the global room takes the hold over (its
// BeginJoin): the returned func, run once the frame is handled, only
// releases the hold if that join never started (refused frame). Any other
// first frame releases it at once, before it is handled, so that e.g. a
// send-message to the global room finds it joined.
func (cl *client) settleHold(env *protocol.Envelope) (after func()) {
	nop := func() {}
	if !cl.holding {
		return nop
	}
	cl.holding = false
	cl.holdSettled.Store(true)
	release := func() { cl.g.hub.ReleaseHeld(cl.conn, protocol.GlobalRoomID) }
	if env != nil && env.Event == protocol.EventJoinRoom {
		if d, perr := protocol.DecodeJoinRoom(env.Data); perr == nil && d.RoomID == protocol.GlobalRoomID {
			return release
		}
	}
	release()
	return nop
}

// send queues a frame to this client.
func (cl *client) send(frame []byte) {
	if cl.conn.Send(frame) {
		cl.g.Metrics.FramesOut(1)
	}
}

// fail answers a request with an error frame. Errors the client caused
// against the protocol (perr.Code.Strike) count towards the bad frame
// limit; past it the socket is closed with 4008.
func (cl *client) fail(ref []byte, perr *protocol.Error, strike bool) {
	cl.g.Metrics.ErrorFrame(perr.Code)
	cl.send(protocol.ErrorFrame(ref, perr))
	if !strike || !perr.Code.Strike() {
		return
	}
	now := cl.g.Now()
	cl.strikeMu.Lock()
	if now.Sub(cl.strikeStart) > time.Minute {
		cl.strikes, cl.strikeStart = 0, now
	}
	cl.strikes++
	over := cl.strikes > cl.g.cfg.BadFrameLimit
	cl.strikeMu.Unlock()
	if over {
		cl.Close(protocol.ClosePolicyViolation, "too many bad frames")
	}
}
