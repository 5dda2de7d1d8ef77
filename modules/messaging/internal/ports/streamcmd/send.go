package streamcmd

import (
	"context"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// sendAll runs one batch a send slot took from its queue (commands of one
// or more reads, in queue order) as one Service.SendMessages call, then
// answers and acknowledges them all in one pipeline. A command whose data
// did not decode is answered bad_request and left out of the call, and so
// is one too old to commit while its gateway still waits (see expiry).
func (c *Consumer) sendAll(ctx context.Context, batch []queuedSend) {
	answers := make([]answer, len(batch))
	sends := make([]Send, 0, len(batch))
	valid := make([]int, 0, len(batch)) // sends[j] is batch[valid[j]]
	now := c.redisNow(ctx)
	budget := c.timeout()
	lagging := c.lag.exceeded(ctx)
	shed := 0
	for i, q := range batch {
		left, ok := c.expiry(q.id, now)
		if !ok {
			c.o.Log.WarnContext(ctx, "dropping expired send-message", "entry", q.id, "command", q.cmd.ID, "user", q.cmd.UserID)
			answers[i] = answerTo(q.entry, nil, errExpired)
			continue
		}
		if lagging || entryAge(q.id, now) > c.o.ShedAfter {
			answers[i] = answerTo(q.entry, nil, overloaded(c.o.ShedAfter))
			shed++
			continue
		}
		budget = min(budget, left)
		if q.bad != nil {
			answers[i] = answerTo(q.entry, nil, c.replyError(ctx, q.cmd, q.bad))
			continue
		}
		sends = append(sends, Send{UserID: q.cmd.UserID, SessionID: q.cmd.SessionID, Data: q.data, Trace: q.trace()})
		valid = append(valid, i)
	}
	if shed > 0 {
		c.o.Log.WarnContext(ctx, "overloaded: send-messages answered unavailable, not stored", "count", shed,
			"relay_lagging", lagging)
	}
	flush := func(context.Context) {}
	if len(sends) > 0 {
		sctx := ctx
		if c.o.DeferPublish != nil {
			sctx, flush = c.o.DeferPublish(ctx)
		}
		out := c.runSends(sctx, batch, valid, sends, budget)
		for j, i := range valid {
			if err := out[j].Err; err != nil {
				answers[i] = answerTo(batch[i].entry, nil, c.replyError(ctx, batch[i].cmd, err))
			} else {
				answers[i] = answerTo(batch[i].entry, marshal(out[j].Ack), nil)
			}
		}
	}
	c.ack(ctx, answers...)
	flush(ctx) // after the acks: a sender's ack precedes its own copy
	for i, q := range batch {
		if q.traced == nil {
			continue
		}
		if a := answers[i]; !a.reply.OK {
			q.traced.span.SetStatus(codes.Error, string(a.reply.Data))
		}
		q.traced.span.End()
	}
}

// runSends calls the Service with a time bound. A panic, or a result
// count unlike the input, answers every send as internal: no single
// command can be blamed, and one bad batch must not crash-loop every api.
func (c *Consumer) runSends(ctx context.Context, batch []queuedSend, valid []int, sends []Send, timeout time.Duration) (out []SendOutcome) {
	defer func() {
		p := recover()
		if p == nil && len(out) == len(sends) {
			return
		}
		ids := make([]string, len(valid))
		for j, i := range valid {
			ids[j] = batch[i].cmd.ID
		}
		c.o.Log.ErrorContext(ctx, "send-message batch failed", "commands", ids, "panic", p, "results", len(out),
			"stack", string(debug.Stack()))
		out = make([]SendOutcome, len(sends))
		for j := range out {
			out[j].Err = errInternal
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if c.o.Tracing.Enabled() {
		traces := make([]string, len(sends))
		for j, s := range sends {
			traces[j] = s.Trace
		}
		var span trace.Span
		ctx, span = c.o.Tracing.StartBatch(ctx, "messaging send batch", traces)
		span.SetAttributes(attribute.Int("chat.batch.size", len(sends)))
		defer span.End()
	}
	if c.o.ObserveStore != nil {
		defer func(start time.Time) { c.o.ObserveStore(time.Since(start)) }(time.Now())
	}
	return c.svc.SendMessages(ctx, sends)
}

// errExpired answers a send-message dropped unrun: its gateway has told
// (or is about to tell) the client "unavailable; retry".
var errExpired = &Error{Code: CodeUnavailable, Message: "expired before it could run; not stored, retry"}

// expiry says how long the send-message of entry id may still take to
// commit, and whether to run it at all. Its gateway stops waiting
// COMMAND_TIMEOUT (= MaxAge) after it appended the entry (the entry id is
// Redis's clock then, in ms): the commit must happen a tenth of MaxAge
// before (for the reply to get there), and a command left with less than a
// fifth of MaxAge for it is not started (an entry claimed from a dead
// instance, idle ClaimMinIdle, is always that old with the defaults).
func (c *Consumer) expiry(id string, now time.Time) (left time.Duration, ok bool) {
	ms, _, _ := strings.Cut(id, "-")
	born, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return 0, false // not a stream id: cannot happen
	}
	deadline := time.UnixMilli(born).Add(c.o.MaxAge - c.o.MaxAge/10)
	left = deadline.Sub(now)
	return left, left >= c.o.MaxAge/5
}
