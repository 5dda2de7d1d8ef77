package streamcmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/platform/outage"
)

// commandTimeout bounds one command (or one read's batch of sends); the
// gateway gives up earlier anyway. It is lowered to 2/3 of ClaimMinIdle
// (see timeout).
const commandTimeout = 30 * time.Second

// timeout bounds one command: below ClaimMinIdle too, so a command is
// over long before another instance could take it (the keep-alive already
// prevents that while this process lives).
func (c *Consumer) timeout() time.Duration {
	return min(commandTimeout, c.o.ClaimMinIdle*2/3)
}

// handle runs one command other than send-message and answers it. The
// reply and the XACK go in one pipeline after the command ran: if the api
// dies before, the entry stays pending and is claimed by another instance.
func (c *Consumer) handle(ctx context.Context, e entry) {
	data, cerr := c.exec(ctx, e.cmd)
	c.ack(ctx, answerTo(e, data, cerr))
}

// answer is what is left to do for one entry: XADD its reply to stream
// (none when stream is "": a malformed command cannot be answered), then
// XACK it.
type answer struct {
	entry  string
	stream string
	reply  Reply
}

func answerTo(e entry, data json.RawMessage, cerr *Error) answer {
	r := Reply{Ref: e.cmd.Ref, OK: cerr == nil, Data: data}
	if cerr != nil {
		r.Data = marshal(cerr)
	}
	return answer{entry: e.id, stream: e.cmd.Reply, reply: r}
}

// ack writes the replies and acknowledges their entries in one pipeline
// (one round trip for a whole batch of sends).
func (c *Consumer) ack(ctx context.Context, answers ...answer) {
	ids := make([]string, len(answers))
	_, err := c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		expire := make(map[string]bool)
		for i, a := range answers {
			ids[i] = a.entry
			if a.stream == "" {
				continue
			}
			p.XAdd(ctx, &redis.XAddArgs{Stream: a.stream, MaxLen: ReplyStreamMaxLen, Approx: true, Values: a.reply.Values()})
			expire[a.stream] = true
		}
		for stream := range expire {
			p.Expire(ctx, stream, ReplyStreamTTL)
		}
		p.XAck(ctx, CommandStream, CommandGroup, ids...)
		return nil
	})
	if err != nil {
		// Left pending: claimed and run again later (idempotent with a
		// clientMsgId); the gateway has answered "unavailable" by then.
		c.o.Log.WarnContext(ctx, "command reply failed", "entries", ids, "err", err)
	}
}

// exec decodes the command's data and runs it. Panics are answered as
// internal errors so one bad command cannot crash-loop every api.
// send-message commands never come here (see sendAll).
func (c *Consumer) exec(ctx context.Context, cmd Command) (data json.RawMessage, cerr *Error) {
	defer func() {
		if p := recover(); p != nil {
			c.o.Log.ErrorContext(ctx, "command panicked", "command", cmd.ID, "type", cmd.Type, "panic", p, "stack", string(debug.Stack()))
			data, cerr = nil, errInternal
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	var (
		out any
		err error
	)
	switch cmd.Type {
	case CmdJoinRoom:
		var d JoinRoomData
		if err = decode(cmd.Data, &d); err == nil {
			out, err = c.svc.JoinRoom(ctx, cmd.UserID, d)
		}
	case CmdMarkRead:
		var d MarkReadData
		if err = decode(cmd.Data, &d); err == nil {
			out, err = c.svc.MarkRead(ctx, cmd.UserID, d)
		}
	case CmdEditMessage:
		var d EditMessageData
		if err = decode(cmd.Data, &d); err == nil {
			out, err = c.svc.EditMessage(ctx, cmd.UserID, d)
		}
	case CmdDeleteMessage:
		var d DeleteMessageData
		if err = decode(cmd.Data, &d); err == nil {
			out, err = c.svc.DeleteMessage(ctx, cmd.UserID, d)
		}
	case CmdReact:
		var d ReactData
		if err = decode(cmd.Data, &d); err == nil {
			out, err = c.svc.React(ctx, cmd.UserID, d)
		}
	case CmdCallInvite, CmdCallAnswer, CmdCallICE, CmdCallHangup:
		if c.o.Calls == nil {
			err = &Error{Code: CodeBadRequest, Message: "calls are not enabled"}
			break
		}
		var raw json.RawMessage
		if raw, err = c.o.Calls(ctx, cmd); err == nil {
			return raw, nil
		}
	default:
		err = &Error{Code: CodeBadRequest, Message: fmt.Sprintf("unknown command %q", cmd.Type)}
	}
	if err != nil {
		return nil, c.replyError(ctx, cmd, err)
	}
	return marshal(out), nil
}

// errInternal is what the client sees of an unexpected failure.
var errInternal = &Error{Code: CodeInternal, Message: "internal error"}

// errUnavailable is what the client sees of a dependency outage. A send is
// not stored then (its transaction failed); a retry with the same
// clientMsgId is safe either way.
var errUnavailable = &Error{Code: CodeUnavailable, Message: "a service is temporarily unavailable; retry"}

// replyError is the error a command's client sees: the Service's *Error as
// is, "unavailable" for a timeout or a dependency outage (PostgreSQL or
// Redis unreachable, marked outage.ErrUnavailable by the platform), and
// anything else logged and answered as internal: a bug.
func (c *Consumer) replyError(ctx context.Context, cmd Command, err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, outage.ErrUnavailable) {
		c.o.Log.WarnContext(ctx, "command failed: dependency unavailable", "command", cmd.ID, "type", cmd.Type,
			"dependency", outage.Dependency(err), "err", err)
		return errUnavailable
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &Error{Code: CodeUnavailable, Message: "timed out, try again"}
	}
	c.o.Log.ErrorContext(ctx, "command failed", "command", cmd.ID, "type", cmd.Type, "user", cmd.UserID, "err", err)
	return errInternal
}

func decode(raw json.RawMessage, dst any) error {
	if err := json.Unmarshal(raw, dst); err != nil {
		return &Error{Code: CodeBadRequest, Message: "malformed command data"}
	}
	return nil
}

// marshal encodes reply data; the wire types always encode.
func marshal(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(Error{Code: CodeInternal, Message: "cannot encode reply"})
	}
	return b
}
