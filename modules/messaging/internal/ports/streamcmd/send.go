package streamcmd

import (
	"context"
	"runtime/debug"
)

// sendAll runs the send-message commands of one read as one
// Service.SendMessages call, in read order, then answers and acknowledges
// them all in one pipeline. A command whose data does not decode is
// answered bad_request and left out of the call.
func (c *Consumer) sendAll(ctx context.Context, entries []entry) {
	answers := make([]answer, len(entries))
	sends := make([]Send, 0, len(entries))
	valid := make([]int, 0, len(entries)) // sends[j] is entries[valid[j]]
	for i, e := range entries {
		var d SendMessageData
		if err := decode(e.cmd.Data, &d); err != nil {
			answers[i] = answerTo(e, nil, c.replyError(ctx, e.cmd, err))
			continue
		}
		sends = append(sends, Send{UserID: e.cmd.UserID, Data: d})
		valid = append(valid, i)
	}
	if len(sends) > 0 {
		out := c.runSends(ctx, entries, valid, sends)
		for j, i := range valid {
			if err := out[j].Err; err != nil {
				answers[i] = answerTo(entries[i], nil, c.replyError(ctx, entries[i].cmd, err))
			} else {
				answers[i] = answerTo(entries[i], marshal(out[j].Ack), nil)
			}
		}
	}
	c.ack(ctx, answers...)
}

// runSends calls the Service with a time bound. A panic, or a result
// count unlike the input, answers every send as internal: no single
// command can be blamed, and one bad batch must not crash-loop every api.
func (c *Consumer) runSends(ctx context.Context, entries []entry, valid []int, sends []Send) (out []SendOutcome) {
	defer func() {
		p := recover()
		if p == nil && len(out) == len(sends) {
			return
		}
		ids := make([]string, len(valid))
		for j, i := range valid {
			ids[j] = entries[i].cmd.ID
		}
		c.o.Log.ErrorContext(ctx, "send-message batch failed", "commands", ids, "panic", p, "results", len(out),
			"stack", string(debug.Stack()))
		out = make([]SendOutcome, len(sends))
		for j := range out {
			out[j].Err = errInternal
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	return c.svc.SendMessages(ctx, sends)
}
