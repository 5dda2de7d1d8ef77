package socket

import (
	"context"
	"encoding/json"
	"errors"
	"runtime/debug"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/olahol/melody"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/chatforge/chat/apps/gateway/internal/hub"
	"github.com/chatforge/chat/apps/gateway/internal/limits"
	"github.com/chatforge/chat/apps/gateway/internal/protocol"
	"github.com/chatforge/chat/apps/gateway/internal/streams"
	"github.com/chatforge/chat/modules/messaging/wire"
	"github.com/chatforge/chat/modules/presence"
	"github.com/chatforge/chat/platform/tracing"
)

// onMessage handles one text frame, on the socket's reader goroutine.
// join-room, leave-room, send-message and mark-read are always answered
// (ack or error, with the client's ref when it sent one); typing frames
// only when they carry a ref; bad frames always get an error.
func (g *Gateway) onMessage(s *melody.Session, frame []byte) { g.handleFrame(g.clientOf(s), frame) }

// handleFrame takes one v1 frame of cl, whatever its transport, on the
// socket's reader: it decodes and rate-checks the frame, then queues it
// for its turn (see frameQueue); a socket's frames are handled one at a
// time, in order. env is decoded into fresh memory, so frame may be
// reused once this returns.
func (g *Gateway) handleFrame(cl *client, frame []byte) {
	if cl == nil || cl.conn == nil || cl.closing.Load() {
		return
	}
	if len(frame) > g.cfg.MaxFrameBytes {
		cl.settleHold(nil)
		g.Metrics.FrameIn("")
		cl.fail(nil, protocol.NewError(protocol.CodeTooLarge, "frame is larger than the limit"), true)
		return
	}
	env, perr := protocol.Decode(frame)
	var after func()
	if perr != nil {
		cl.settleHold(nil)
	} else {
		after = cl.settleHold(&env)
	}
	g.Metrics.FrameIn(env.Event)
	if perr != nil {
		cl.fail(env.Ref, perr, true)
		return
	}
	if cl.frames == nil {
		// Full buckets, as if made at connect.
		cl.frames = limits.NewFrameRate(g.cfg.RatePerSec, g.cfg.RateBurst, g.cfg.RateAbuseWindow)
	}
	if v := cl.frames.Allow(g.Now()); !v.Allowed {
		// Over the rate: refused with a hint, not a strike; only
		// sustained sending far over it is abuse (limits.FrameRate).
		after()
		cl.fail(env.Ref, protocol.RateLimited("too many frames; slow down", v.RetryAfter), false)
		if v.Abuse {
			cl.g.Metrics.RateAbuse.Inc()
			cl.Close(protocol.ClosePolicyViolation, "sending far over the rate limit")
		}
		return
	}
	f := queuedFrame{env: env, at: time.Now(), after: after}
	q := cl.q.Load()
	if !waitsForAPI(env.Event) && (q == nil || q.idle()) {
		// Nothing queued and no round trip to the api: no worker needed.
		cl.handle(f)
		return
	}
	if q == nil {
		q = new(frameQueue)
		cl.q.Store(q)
	}
	start, full := q.push(f, g.cfg.QueueMax)
	switch {
	case full:
		after()
		g.Metrics.FrameShed("queue_full")
		cl.fail(env.Ref, cl.overloaded(env.Event, "too many frames of this socket are waiting for the server"), false)
	case start:
		go q.work(cl.handleSafely)
	}
}

// waitsForAPI reports whether handling a frame of event waits for a
// command's round trip to the api.
func waitsForAPI(event string) bool {
	switch event {
	case protocol.EventLeaveRoom, protocol.EventTypingStart, protocol.EventTypingStop:
		return false
	}
	return true
}

// overloaded is the answer to a frame refused because the server is
// behind: unavailable, not acted on, with a retry hint.
func (cl *client) overloaded(event, why string) *protocol.Error {
	return protocol.Unavailable(notHandled(event, why), cl.retryHint())
}

// retryHint is the retry hint of a frame refused for overload: by then
// what is queued now has been handled or refused.
func (cl *client) retryHint() time.Duration { return max(cl.g.cfg.QueueMaxWait, minRetryHint) }

// notHandled says why a frame of event was refused unhandled, and that a
// resend is safe.
func notHandled(event, why string) string {
	if event == protocol.EventSendMessage {
		return why + "; not stored, retry"
	}
	return why + "; not handled, retry"
}

// minRetryHint is the least retry hint of a refusal for overload (when
// WS_QUEUE_MAX_WAIT is off or tiny).
const minRetryHint = 100 * time.Millisecond

// handle handles one frame in its turn (see frameQueue). A frame for the
// api that waited in the queue longer than QueueMaxWait behind a slow
// command (QueueSlowCommand) is refused instead: the socket sends faster
// than the api answers it, and what it sent would be answered late. A
// burst behind fast commands is the client's own doing and is served.
func (cl *client) handle(f queuedFrame) {
	if f.after != nil {
		defer f.after()
	}
	env := f.env
	if cl.stale(f, time.Now()) {
		cl.refuseStale(f.env)
		return
	}
	switch env.Event {
	case protocol.EventSendMessage:
		cl.sendMessage(env)
	case protocol.EventJoinRoom:
		cl.joinRoom(env)
	case protocol.EventLeaveRoom:
		cl.leaveRoom(env)
	case protocol.EventTypingStart, protocol.EventTypingStop:
		cl.typingEvent(env)
	case protocol.EventMarkRead:
		cl.markRead(env)
	case protocol.EventEditMessage, protocol.EventDeleteMessage, protocol.EventReact:
		cl.changeMessage(env)
	case protocol.EventCallInvite, protocol.EventCallAnswer, protocol.EventCallICE, protocol.EventCallHangup:
		cl.callEvent(env)
	}
}

// stale reports whether f, a frame for the api, waited past QueueMaxWait
// behind a slow command.
func (cl *client) stale(f queuedFrame, now time.Time) bool {
	w := cl.g.cfg.QueueMaxWait
	if w <= 0 || !waitsForAPI(f.env.Event) || now.Sub(f.at) <= w {
		return false
	}
	q := cl.q.Load()
	return q != nil && q.lastTrip > cl.g.cfg.QueueSlowCommand
}

func (cl *client) refuseStale(env protocol.Envelope) {
	cl.g.Metrics.FrameShed("queue_wait")
	cl.fail(env.Ref, cl.overloaded(env.Event, "the server is busy"), false)
}

// watchQueue runs while a command is in hand: once it has become slow
// (QueueSlowCommand) the queued frames for the api that wait past
// QueueMaxWait are refused as they pass it, rather than when the command
// returns (up to COMMAND_TIMEOUT later). The returned func stops it.
func (cl *client) watchQueue(q *frameQueue) (stop func()) {
	w := cl.g.cfg.QueueMaxWait
	if w <= 0 {
		return func() {}
	}
	var (
		mu      sync.Mutex
		t       *time.Timer
		stopped bool
	)
	tick := func() {
		for _, f := range q.expire(time.Now(), w) {
			cl.refuseStale(f.env)
			if f.after != nil {
				f.after()
			}
		}
		mu.Lock()
		if !stopped {
			t.Reset(max(w/2, 10*time.Millisecond))
		}
		mu.Unlock()
	}
	mu.Lock()
	t = time.AfterFunc(max(w, cl.g.cfg.QueueSlowCommand), tick)
	mu.Unlock()
	return func() {
		mu.Lock()
		stopped = true
		t.Stop()
		mu.Unlock()
	}
}

// handleSafely is handle on the socket's worker goroutine, which nothing
// else recovers: a panic closes the socket (as a panic in a melody
// callback does) and the worker goes on, so the queue still empties.
func (cl *client) handleSafely(f queuedFrame) {
	defer func() {
		if rec := recover(); rec != nil {
			cl.g.Log.Error("panic recovered handling a frame", "conn", cl.conn.ID, "panic", rec, "stack", string(debug.Stack()))
			cl.Close(websocket.CloseInternalServerErr, "internal error")
		}
	}()
	cl.handle(f)
}

// stopQueue ends the socket's frame handling when it is gone: frames not
// yet started (none if Close answered them) are dropped unanswered
// (nobody would read the answer; the client resends what was not acked,
// by clientMsgId) and the frame in hand is waited for, so the disconnect
// runs after the last frame.
func (cl *client) stopQueue() {
	q := cl.q.Load()
	if q == nil {
		return
	}
	left, done := q.close()
	if done != nil {
		<-done
	}
	for _, f := range left {
		if f.after != nil {
			f.after()
		}
	}
}

// closeQueue runs as the socket starts closing: the frames not yet started
// are refused (unavailable, not handled) so the client has an answer for
// each before the close, and nothing more is queued. It returns a channel
// closed once the frame in hand (if any) has been handled, or nil.
func (cl *client) closeQueue() <-chan struct{} {
	q := cl.q.Load()
	if q == nil {
		return nil
	}
	left, done := q.close()
	for _, f := range left {
		cl.fail(f.env.Ref, protocol.Unavailable(notHandled(f.env.Event, "the socket is closing"), cl.retryHint()), false)
		if f.after != nil {
			f.after()
		}
	}
	return done
}

// onBinary refuses binary frames: protocol v1 is JSON text.
func (g *Gateway) onBinary(s *melody.Session, _ []byte) {
	if cl := g.clientOf(s); cl != nil && cl.conn != nil {
		cl.settleHold(nil)
		g.Metrics.FrameIn("")
		cl.fail(nil, protocol.NewError(protocol.CodeBadRequest, "binary frames are not supported; send JSON text"), true)
	}
}

// allowCommand applies the per-user limit (shared by all the user's sockets
// on every gateway) to frames that cost the api work.
func (cl *client) allowCommand(ref json.RawMessage) bool {
	ctx, cancel := context.WithTimeout(cl.g.life, time.Second)
	defer cancel()
	key, limit := "ws:user:"+cl.claims.UserID, cl.g.cfg.UserRate
	if cl.claims.Bot && cl.g.cfg.BotRate.Rate > 0 {
		key, limit = "ws:bot:"+cl.claims.UserID, cl.g.cfg.BotRate
	}
	ok, retry, _ := cl.g.Limiter.AllowBatched(ctx, key, limit)
	if !ok {
		cl.fail(ref, protocol.RateLimited("too many requests for this user; slow down", retry), false)
	}
	return ok
}

// command sends a command to the api and waits for the reply. A transport
// failure or a failed reply is answered with an error frame here and
// returned as the error; replies never count as strikes.
func (cl *client) command(ref json.RawMessage, typ wire.CommandType, data any) (*wire.Reply, *protocol.Error) {
	ctx, cancel := context.WithTimeout(cl.g.life, cl.g.cfg.CommandTimeout)
	defer cancel()
	if cl.g.Tracing.Enabled() {
		// The frame's span; the command entry carries its context.
		var span trace.Span
		ctx, span = cl.g.Tracing.Start(ctx, "socket "+string(typ), tracing.Server)
		span.SetAttributes(attribute.String("chat.gateway.id", cl.g.cfg.GatewayID), attribute.String("chat.conn.id", cl.conn.ID),
			attribute.String("chat.user.id", cl.claims.UserID))
		defer span.End()
	}
	start := time.Now()
	q := cl.q.Load() // set: commands run on the socket's worker
	stopWatch := func() {}
	if q != nil {
		stopWatch = cl.watchQueue(q)
	}
	r, err := cl.g.cmds.Do(ctx, typ, cl.claims.UserID, cl.claims.SessionID, data)
	stopWatch()
	if q != nil {
		q.lastTrip = time.Since(start)
	}
	outcome := "ok"
	defer func() {
		cl.g.Metrics.Commands.WithLabelValues(string(typ), outcome).Observe(time.Since(start).Seconds())
	}()
	if err != nil {
		outcome = "unavailable"
		if !errors.Is(err, streams.ErrTimeout) {
			cl.g.Log.WarnContext(ctx, "command failed", "type", typ, "conn", cl.conn.ID, "err", err)
		}
		msg := "the server could not handle this now; retry"
		if typ == wire.CmdSendMessage {
			// The api drops a send-message it could not store within
			// COMMAND_TIMEOUT (its COMMAND_MAX_AGE).
			msg = "the server could not handle this now; not stored, retry"
		}
		perr := protocol.NewError(protocol.CodeUnavailable, msg)
		cl.fail(ref, perr, false)
		return nil, perr
	}
	if e := r.Err(); e != nil {
		outcome = e.Code
		// The api's retry hint (a shed send-message) goes to the client.
		perr := &protocol.Error{Code: protocol.Code(e.Code), Message: e.Message, RetryAfterMs: e.RetryAfterMs}
		cl.fail(ref, perr, false)
		return nil, perr
	}
	return &r, nil
}

func (cl *client) sendMessage(env protocol.Envelope) {
	d, perr := protocol.DecodeSendMessage(env.Data)
	if perr != nil {
		cl.fail(env.Ref, perr, true)
		return
	}
	if !cl.conn.Joined(d.RoomID) {
		cl.fail(env.Ref, protocol.NewError(protocol.CodeForbidden, "join-room first"), false)
		return
	}
	if !cl.allowCommand(env.Ref) {
		return
	}
	if _, typing := cl.typing[d.RoomID]; typing {
		cl.publishTyping(cl.g.life, d.RoomID, false) // a sent message ends typing
	}
	r, _ := cl.command(env.Ref, wire.CmdSendMessage, wire.SendMessageData{
		RoomID: d.RoomID, Content: d.Content, ClientMsgID: d.ClientMsgID, ReplyTo: d.ReplyTo, AttachmentIDs: d.AttachmentIDs,
		Ciphertext: (*wire.CiphertextJSON)(d.Ciphertext),
	})
	if r != nil {
		cl.send(protocol.Ack(env.Ref, r.Data))
	}
}

// joinRoom asks the api (membership, lastSeq, missed messages) and lets
// the hub order replay, ack and live frames (see hub.Join).
func (cl *client) joinRoom(env protocol.Envelope) {
	d, perr := protocol.DecodeJoinRoom(env.Data)
	if perr != nil {
		cl.fail(env.Ref, perr, true)
		return
	}
	if !cl.allowCommand(env.Ref) {
		return
	}
	j := cl.g.hub.BeginJoin(cl.conn, d.RoomID)
	if j == nil {
		return // disconnected
	}
	r, perr := cl.command(env.Ref, wire.CmdJoinRoom, wire.JoinRoomData{
		RoomID: d.RoomID, LastSeq: d.LastSeq, LastRev: d.LastRev, Limit: cl.g.cfg.ReplayMax,
	})
	if perr != nil {
		// not_found/forbidden: the user may not see the room (any more),
		// so an earlier join of it ends too; otherwise it stands.
		j.Abort(perr.Code == protocol.CodeNotFound || perr.Code == protocol.CodeForbidden)
		return
	}
	var ack wire.JoinAck
	if err := json.Unmarshal(r.Data, &ack); err != nil {
		j.Abort(false)
		cl.fail(env.Ref, protocol.NewError(protocol.CodeInternal, "malformed reply"), false)
		return
	}
	replay := make([]hub.Replayed, 0, len(ack.Messages))
	for _, raw := range ack.Messages {
		var m struct {
			Seq int64 `json:"seq"`
		}
		if json.Unmarshal(raw, &m) == nil && m.Seq > 0 {
			replay = append(replay, hub.Replayed{Seq: m.Seq, Frame: protocol.ReceiveMessage(raw)})
		}
	}
	for _, raw := range ack.Changes {
		replay = append(replay, hub.Replayed{Frame: protocol.MessageUpdated(raw), Update: true})
	}
	if ack.LastRev != nil {
		j.CoversRev(*ack.LastRev)
	}
	ackData := joinAckData{RoomID: d.RoomID, LastSeq: ack.LastSeq, LastRev: ack.LastRev, Recovered: ack.Recovered}
	b, _ := json.Marshal(ackData)
	if !j.Complete(replay, ack.LastSeq, d.LastSeq, protocol.Ack(env.Ref, b)) && !cl.conn.Dropped() {
		cl.fail(env.Ref, protocol.NewError(protocol.CodeNotFound, "room left while joining"), false)
	}
}

// joinAckData is the client's ack of join-room (no messages: they went out
// as receive-message frames before it).
type joinAckData struct {
	RoomID    string `json:"roomId"`
	LastSeq   int64  `json:"lastSeq"`
	LastRev   *int64 `json:"lastRev,omitempty"`
	Recovered *bool  `json:"recovered,omitempty"`
}

func (cl *client) leaveRoom(env protocol.Envelope) {
	d, perr := protocol.DecodeLeaveRoom(env.Data)
	if perr != nil {
		cl.fail(env.Ref, perr, true)
		return
	}
	cl.g.hub.Leave(cl.conn, d.RoomID)
	if _, typing := cl.typing[d.RoomID]; typing {
		cl.publishTyping(cl.g.life, d.RoomID, false)
	}
	cl.send(protocol.Ack(env.Ref, roomData(d.RoomID)))
}

func (cl *client) markRead(env protocol.Envelope) {
	d, perr := protocol.DecodeMarkRead(env.Data)
	if perr != nil {
		cl.fail(env.Ref, perr, true)
		return
	}
	if !cl.allowCommand(env.Ref) {
		return
	}
	if r, _ := cl.command(env.Ref, wire.CmdMarkRead, wire.MarkReadData{RoomID: d.RoomID, Seq: d.Seq}); r != nil {
		cl.send(protocol.Ack(env.Ref, r.Data))
	}
}

// changeMessage runs edit-message, delete-message or react on the api (which
// checks membership and authorship: the message's room is not known here)
// and acks with the message as it now is.
func (cl *client) changeMessage(env protocol.Envelope) {
	var (
		typ  wire.CommandType
		data any
	)
	if env.Event == protocol.EventEditMessage {
		d, perr := protocol.DecodeEditMessage(env.Data)
		if perr != nil {
			cl.fail(env.Ref, perr, true)
			return
		}
		typ, data = wire.CmdEditMessage, wire.EditMessageData{ID: d.ID, Content: d.Content}
	} else if env.Event == protocol.EventReact {
		d, perr := protocol.DecodeReact(env.Data)
		if perr != nil {
			cl.fail(env.Ref, perr, true)
			return
		}
		op := "remove"
		if d.Add {
			op = "add"
		}
		typ, data = wire.CmdReact, wire.ReactData{MessageID: d.MessageID, Emoji: d.Emoji, Op: op}
	} else {
		d, perr := protocol.DecodeDeleteMessage(env.Data)
		if perr != nil {
			cl.fail(env.Ref, perr, true)
			return
		}
		typ, data = wire.CmdDeleteMessage, wire.DeleteMessageData{ID: d.ID}
	}
	if !cl.allowCommand(env.Ref) {
		return
	}
	if r, _ := cl.command(env.Ref, typ, data); r != nil {
		cl.send(protocol.Ack(env.Ref, r.Data))
	}
}

// typingEvent publishes typing-start/stop of a joined room. Starts are
// published at most every TypingTTL/3 (clients may send one per
// keystroke); receivers keep the indicator alive meanwhile. Answered with
// an ack only when the frame has a ref.
func (cl *client) typingEvent(env protocol.Envelope) {
	d, perr := protocol.DecodeTyping(env.Data)
	if perr != nil {
		cl.fail(env.Ref, perr, true)
		return
	}
	if !cl.conn.Joined(d.RoomID) {
		cl.fail(env.Ref, protocol.NewError(protocol.CodeForbidden, "join-room first"), false)
		return
	}
	start := env.Event == protocol.EventTypingStart
	last, typing := cl.typing[d.RoomID]
	switch {
	case start && (!typing || cl.g.Now().Sub(last) >= cl.g.cfg.TypingTTL/3):
		cl.publishTyping(cl.g.life, d.RoomID, true)
	case !start && typing:
		cl.publishTyping(cl.g.life, d.RoomID, false)
	}
	if len(env.Ref) > 0 {
		cl.send(protocol.Ack(env.Ref, roomData(d.RoomID)))
	}
}

func (cl *client) publishTyping(ctx context.Context, room string, active bool) {
	if active {
		if cl.typing == nil {
			cl.typing = make(map[string]time.Time, 1)
		}
		cl.typing[room] = cl.g.Now()
	} else {
		delete(cl.typing, room)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := cl.g.Presence.PublishTyping(ctx, presence.Typing{UserID: cl.claims.UserID, RoomID: room, Active: active}); err != nil {
		cl.g.Log.Debug("typing publish failed", "err", err)
	}
}

func roomData(room string) []byte {
	b, _ := json.Marshal(struct {
		RoomID string `json:"roomId"`
	}{room})
	return b
}
