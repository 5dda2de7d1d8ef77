package messaging

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
	"github.com/chatforge/chat/modules/messaging/internal/ports/streamcmd"
	"github.com/chatforge/chat/modules/messaging/wire"
)

// Replay bounds of join-room: DefaultReplayMax when the gateway sends no
// limit, MaxReplayMax at most whatever it sends.
const (
	DefaultReplayMax = 1000
	MaxReplayMax     = 10000
)

// CommandOptions tune RunCommands. Zero values take the defaults.
type CommandOptions struct {
	// Consumer names this process in the consumer group; unique per
	// process (e.g. hostname + random suffix). Required.
	Consumer string
	// Workers is how many join-room and mark-read commands run at once
	// (default 8); the send-message commands of each read run together
	// as one batch (one transaction) beside them.
	Workers int
	// SendSlots is how many send batches are stored at once (default 2),
	// each on its own rooms (rooms are spread over the slots by hash), so
	// concurrent batches never wait on each other's room locks.
	SendSlots int
	// MaxInFlight is how many commands this instance holds read and
	// unanswered before it stops reading (default 100 x (SendSlots+1) +
	// Workers), so a busy instance leaves the rest to the others.
	MaxInFlight int
	// ClaimMinIdle is how long a command read by another instance may stay
	// unanswered before this one takes it over (default 15s). Lower it
	// only if commands never take that long.
	ClaimMinIdle time.Duration
	// ClaimInterval is how often orphaned commands are looked for
	// (default 5s).
	ClaimInterval time.Duration
	// MaxAge is how old a send-message command may be when it commits
	// (default 10s); an older one is acknowledged unrun and answered
	// unavailable. Set it to the gateways' COMMAND_TIMEOUT (not above):
	// then a send the gateway answered "unavailable" (no reply in time)
	// was not stored and a resend, even without clientMsgId, is no
	// duplicate (except when an api died between commit and reply).
	MaxAge time.Duration
	// ShedAfter (default 500ms) and MaxRelayLag (default 5s) bound the
	// latency of what is accepted when more is offered than the api can
	// store and publish: a send-message that waited longer than ShedAfter
	// in the command stream, or any while the oldest unpublished event is
	// older than MaxRelayLag, is answered unavailable with a retry hint,
	// unrun (not stored). No socket is closed for it.
	ShedAfter   time.Duration
	MaxRelayLag time.Duration
	// Calls runs the call signaling commands (call-invite, call-answer,
	// call-ice, call-hangup): apps/api passes the calls module's handler.
	// nil: they are answered bad_request.
	Calls func(ctx context.Context, cmd wire.Command) (json.RawMessage, error)
}

// RunCommands consumes the gateways' command stream (send-message,
// join-room, mark-read from sockets) until ctx is done, sharing the work
// with every other api instance through the consumer group. The
// send-message commands of each read (up to 100) are stored in one
// transaction (SendMessages). Run it in one goroutine per api process,
// next to RunRelay.
func (m *Module) RunCommands(ctx context.Context, rdb redis.UniversalClient, o CommandOptions) error {
	var deferPublish func(context.Context) (context.Context, func(context.Context))
	if m.onCommit != nil {
		deferPublish = func(ctx context.Context) (context.Context, func(context.Context)) {
			ctx, d := m.onCommit.Defer(ctx)
			return ctx, d.Flush
		}
	}
	c, err := streamcmd.New(rdb, commandService{m}, streamcmd.Options{
		Consumer: o.Consumer, Workers: o.Workers, SendSlots: o.SendSlots, MaxInFlight: o.MaxInFlight, ClaimMinIdle: o.ClaimMinIdle,
		ClaimInterval: o.ClaimInterval, MaxAge: o.MaxAge, ShedAfter: o.ShedAfter,
		RelayLag: m.store.OutboxLag, MaxRelayLag: o.MaxRelayLag, Log: m.log,
		ObserveWait:  func(typ CommandType, d time.Duration) { m.hops.observeWait(string(typ), d) },
		ObserveStore: m.hops.observeStore, Tracing: m.trace, DeferPublish: deferPublish,
		Calls: o.Calls,
	})
	if err != nil {
		return err
	}
	return c.Run(ctx)
}

// commandService runs socket commands through the same use cases as REST
// (one code path for a sent message) and maps their errors to reply codes.
type commandService struct{ m *Module }

// SendMessages stores the send-message commands of one read in one
// transaction (Module.SendMessages): seqs in command order within a room,
// and each command its own ack or error.
func (s commandService) SendMessages(ctx context.Context, sends []streamcmd.Send) []streamcmd.SendOutcome {
	reqs := make([]SendRequest, len(sends))
	for i, c := range sends {
		reqs[i] = SendRequest{UserID: c.UserID, Input: SendInput{RoomID: c.Data.RoomID, Content: c.Data.Content, ClientMsgID: c.Data.ClientMsgID, ReplyTo: c.Data.ReplyTo, AttachmentIDs: c.Data.AttachmentIDs,
			Ciphertext: wire.CiphertextIn(c.Data.Ciphertext), SessionID: c.SessionID, Trace: c.Trace}}
	}
	res := s.m.SendMessages(ctx, reqs)
	out := make([]streamcmd.SendOutcome, len(res))
	for i, r := range res {
		if r.Err != nil {
			out[i].Err = commandError(r.Err)
			continue
		}
		m := r.Message
		out[i].Ack = streamcmd.SendAck{ID: m.ID, RoomID: m.RoomID, Seq: m.Seq, Timestamp: m.CreatedAt.UTC().Format(TimeFormat), Rev: m.Rev,
			Attachments: wire.AttachmentsJSON(m.Attachments)}
	}
	return out
}

func (s commandService) MarkRead(ctx context.Context, userID string, d streamcmd.MarkReadData) (streamcmd.MarkReadAck, error) {
	seq, err := s.m.MarkRead(ctx, userID, d.RoomID, d.Seq)
	if err != nil {
		return streamcmd.MarkReadAck{}, commandError(err)
	}
	return streamcmd.MarkReadAck{RoomID: d.RoomID, Seq: seq}, nil
}

// EditMessage edits as the edit-message command asks.
func (s commandService) EditMessage(ctx context.Context, userID string, d streamcmd.EditMessageData) (json.RawMessage, error) {
	m, err := s.m.EditMessage(ctx, userID, d.ID, d.Content)
	if err != nil {
		return nil, commandError(err)
	}
	return json.Marshal(m)
}

// DeleteMessage deletes as the delete-message command asks.
func (s commandService) DeleteMessage(ctx context.Context, userID string, d streamcmd.DeleteMessageData) (json.RawMessage, error) {
	m, err := s.m.DeleteMessage(ctx, userID, d.ID)
	if err != nil {
		return nil, commandError(err)
	}
	return json.Marshal(m)
}

// React adds or removes a reaction as the react command asks.
func (s commandService) React(ctx context.Context, userID string, d streamcmd.ReactData) (json.RawMessage, error) {
	m, err := s.m.React(ctx, userID, d.MessageID, d.Emoji, d.Op == "add")
	if err != nil {
		return nil, commandError(err)
	}
	return json.Marshal(m)
}

// JoinRoom checks the user may read the room and returns its lastSeq and,
// when the client gave one, the messages after its lastSeq.
//
// lastSeq is the newest seq visible to the first history query, and every
// replayed message has seq <= lastSeq: a message committed later has a
// higher seq and its event reaches the gateway after the gateway started
// holding live events for this join, so nothing falls between the replay
// and the live stream. Beyond limit missed messages the newest limit are
// sent and Recovered is false: the client pages the older ones over REST.
func (s commandService) JoinRoom(ctx context.Context, userID string, d streamcmd.JoinRoomData) (streamcmd.JoinAck, error) {
	limit := d.Limit
	if limit <= 0 {
		limit = DefaultReplayMax
	}
	limit = min(limit, MaxReplayMax)
	if d.LastSeq == nil {
		page, err := s.m.History(ctx, userID, d.RoomID, HistoryQuery{Limit: 1})
		if err != nil {
			return streamcmd.JoinAck{}, commandError(err)
		}
		ack := streamcmd.JoinAck{RoomID: d.RoomID}
		if len(page.Items) > 0 {
			ack.LastSeq = page.Items[0].Seq
		}
		return ack, nil
	}
	after := *d.LastSeq
	var (
		newestFirst []Message
		lastSeq     int64 = -1
		recovered         = true
		before      int64
	)
	for done := false; !done; {
		page, err := s.m.History(ctx, userID, d.RoomID, HistoryQuery{Before: before, Limit: domain.MaxPageSize})
		if err != nil {
			return streamcmd.JoinAck{}, commandError(err)
		}
		if lastSeq < 0 {
			lastSeq = 0
			if len(page.Items) > 0 {
				lastSeq = page.Items[0].Seq
			}
		}
		for _, msg := range page.Items {
			if msg.Seq <= after {
				done = true
				break
			}
			if len(newestFirst) == limit {
				recovered, done = false, true
				break
			}
			newestFirst = append(newestFirst, msg)
		}
		if page.Next == 0 {
			done = true
		}
		before = page.Next
	}
	slices.Reverse(newestFirst)
	msgs := make([]json.RawMessage, len(newestFirst))
	for i, msg := range newestFirst {
		b, err := json.Marshal(msg)
		if err != nil {
			return streamcmd.JoinAck{}, err
		}
		msgs[i] = b
	}
	ack := streamcmd.JoinAck{RoomID: d.RoomID, LastSeq: lastSeq, Recovered: &recovered, Messages: msgs}
	if d.LastRev != nil {
		if err := s.joinChanges(ctx, userID, d, lastSeq, limit, &ack); err != nil {
			return streamcmd.JoinAck{}, err
		}
	}
	return ack, nil
}

// joinChanges adds to a join-room ack the changes after d.LastRev to the
// messages the client had (seq <= its lastSeq; the missed ones were just
// replayed as they are now), in rev order, and the room's newest rev (the
// rev of the last change: every change gives its message the room's next
// rev). Beyond limit changes, or when the scan is too long, Recovered is
// false: the client pages changedSince over REST.
func (s commandService) joinChanges(ctx context.Context, userID string, d streamcmd.JoinRoomData, lastSeq int64, limit int, ack *streamcmd.JoinAck) error {
	since, newest := *d.LastRev, *d.LastRev
	for range maxChangePages {
		page, err := s.m.ChangedSince(ctx, userID, d.RoomID, since, domain.MaxPageSize)
		if err != nil {
			return commandError(err)
		}
		for _, msg := range page.Items {
			newest = max(newest, msg.Rev)
			// Seqs above lastSeq: committed after the replay's snapshot,
			// they come live (receive-message).
			if msg.Seq > *d.LastSeq || msg.Seq > lastSeq {
				continue
			}
			if len(ack.Changes) == limit {
				f := false
				ack.Recovered = &f
				break
			}
			b, err := json.Marshal(msg)
			if err != nil {
				return err
			}
			ack.Changes = append(ack.Changes, b)
		}
		if page.Next == 0 {
			ack.LastRev = &newest
			return nil
		}
		since = page.Next
	}
	f := false
	ack.Recovered, ack.LastRev = &f, &newest
	return nil
}

// maxChangePages bounds the changedSince pages one join-room reads.
const maxChangePages = 20

// commandError is the socket edge's error table for the messaging
// sentinels (the REST edge has its own): an *streamcmd.Error with the code
// the client sees. Other errors are left for the consumer to log as
// internal.
func commandError(err error) error {
	var inv *InvalidError
	switch {
	case errors.As(err, &inv):
		return &streamcmd.Error{Code: CodeBadRequest, Message: inv.Field + " " + inv.Message}
	case errors.Is(err, ErrBlocked):
		return &streamcmd.Error{Code: wire.CodeBlocked, Message: err.Error()}
	case errors.Is(err, ErrMuted):
		return &streamcmd.Error{Code: wire.CodeMuted, Message: err.Error()}
	case errors.Is(err, ErrBanned), errors.Is(err, ErrUserBanned):
		return &streamcmd.Error{Code: wire.CodeBanned, Message: err.Error()}
	case errors.Is(err, ErrMessageNotFound):
		return &streamcmd.Error{Code: CodeNotFound, Message: "message not found"}
	case errors.Is(err, ErrNotFound):
		return &streamcmd.Error{Code: CodeNotFound, Message: "room not found"}
	case errors.Is(err, ErrUserNotFound):
		return &streamcmd.Error{Code: CodeNotFound, Message: "user not found"}
	case errors.Is(err, ErrForbidden), errors.Is(err, ErrConflict):
		return &streamcmd.Error{Code: CodeForbidden, Message: err.Error()}
	}
	// ErrUnavailable is left for the consumer too: it logs the outage
	// and answers "unavailable" (streamcmd's replyError).
	return err
}
