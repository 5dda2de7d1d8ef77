package streamcmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/redis/go-redis/v9"
)

// commandTimeout bounds one command; the gateway gives up earlier anyway.
const commandTimeout = 30 * time.Second

// handle runs one entry and answers it. The reply and the XACK go in one
// pipeline after the command ran: if the api dies before, the entry stays
// pending and is claimed by another instance.
func (c *Consumer) handle(ctx context.Context, m redis.XMessage) {
	cmd, err := ParseCommand(m.Values)
	if err != nil {
		// Nobody to answer: drop it rather than claim it forever.
		c.o.Log.WarnContext(ctx, "dropping malformed command", "entry", m.ID, "err", err)
		c.ack(ctx, m.ID, nil)
		return
	}
	data, cerr := c.exec(ctx, cmd)
	reply := Reply{Ref: cmd.Ref, OK: cerr == nil, Data: data}
	if cerr != nil {
		reply.Data = marshal(cerr)
	}
	c.ack(ctx, m.ID, &replyTo{stream: cmd.Reply, reply: reply})
}

type replyTo struct {
	stream string
	reply  Reply
}

func (c *Consumer) ack(ctx context.Context, entryID string, r *replyTo) {
	_, err := c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		if r != nil {
			p.XAdd(ctx, &redis.XAddArgs{Stream: r.stream, MaxLen: ReplyStreamMaxLen, Approx: true, Values: r.reply.Values()})
			p.Expire(ctx, r.stream, ReplyStreamTTL)
		}
		p.XAck(ctx, CommandStream, CommandGroup, entryID)
		return nil
	})
	if err != nil {
		// Left pending: claimed and run again later (idempotent with a
		// clientMsgId); the gateway has answered "unavailable" by then.
		c.o.Log.WarnContext(ctx, "command reply failed", "entry", entryID, "err", err)
	}
}

// exec decodes the command's data and runs it. Panics are answered as
// internal errors so one bad command cannot crash-loop every api.
func (c *Consumer) exec(ctx context.Context, cmd Command) (data json.RawMessage, cerr *Error) {
	defer func() {
		if p := recover(); p != nil {
			c.o.Log.ErrorContext(ctx, "command panicked", "command", cmd.ID, "type", cmd.Type, "panic", p, "stack", string(debug.Stack()))
			data, cerr = nil, &Error{Code: CodeInternal, Message: "internal error"}
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	var (
		out any
		err error
	)
	switch cmd.Type {
	case CmdSendMessage:
		var d SendMessageData
		if err = decode(cmd.Data, &d); err == nil {
			out, err = c.svc.SendMessage(ctx, cmd.UserID, d)
		}
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
	default:
		err = &Error{Code: CodeBadRequest, Message: fmt.Sprintf("unknown command %q", cmd.Type)}
	}
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return nil, e
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, &Error{Code: CodeUnavailable, Message: "timed out, try again"}
		}
		c.o.Log.ErrorContext(ctx, "command failed", "command", cmd.ID, "type", cmd.Type, "user", cmd.UserID, "err", err)
		return nil, &Error{Code: CodeInternal, Message: "internal error"}
	}
	return marshal(out), nil
}

func decode(raw json.RawMessage, dst any) error {
	if err := json.Unmarshal(raw, dst); err != nil {
		return &Error{Code: CodeBadRequest, Message: "malformed command data"}
	}
	return nil
}
