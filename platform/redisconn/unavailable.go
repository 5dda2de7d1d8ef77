package redisconn

import (
	"context"
	"errors"
	"io"
	"net"

	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/platform/outage"
)

// Dependency is the name errors of Redis are marked with
// (outage.Error.Dependency).
const Dependency = "redis"

// Classify marks err with outage.ErrUnavailable when it says Redis could
// not be reached or used for now, and returns every other error (redis.Nil
// included) as it is. Clients made by Open do this for every command and
// pipeline (see classifyHook).
func Classify(err error) error {
	if err == nil || !unavailable(err) {
		return err
	}
	return outage.Mark(Dependency, err)
}

// unavailable reports a connection-level failure: refused, reset or closed
// connections, timeouts, an exhausted or closed pool, and a server that
// cannot serve yet (LOADING its dataset, no master, cluster down, try
// again, max clients). A cancelled context is the caller's doing, never an outage.
func unavailable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, redis.Nil) {
		return false
	}
	switch {
	case errors.Is(err, redis.ErrPoolTimeout), errors.Is(err, redis.ErrPoolExhausted), errors.Is(err, redis.ErrClosed),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, context.DeadlineExceeded),
		redis.IsLoadingError(err), redis.IsMasterDownError(err), redis.IsClusterDownError(err), redis.IsTryAgainError(err),
		redis.IsMaxClientsError(err):
		return true
	}
	var ne net.Error
	return errors.As(err, &ne)
}

// classifyHook classifies the error of every command (Classify) where the
// caller reads it: the command's Err and the hook chain's result.
type classifyHook struct{}

func (classifyHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (classifyHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if err != nil {
			err = Classify(err)
			cmd.SetErr(Classify(cmd.Err()))
		}
		return err
	}
}

func (classifyHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		for _, cmd := range cmds {
			if cerr := cmd.Err(); cerr != nil {
				cmd.SetErr(Classify(cerr))
			}
		}
		return Classify(err)
	}
}
