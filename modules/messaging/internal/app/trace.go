package app

import "context"

// A sent message's event carries the trace context (W3C traceparent) of the
// request or command that sent it, so the fan-out joins that trace. Sends
// are stored in batches, under one context, so each message's own trace
// context travels here, by message id, to the store writing the outbox.

type messageTracesKey struct{}

// withMessageTraces returns ctx carrying traces (message id -> traceparent).
func withMessageTraces(ctx context.Context, traces map[string]string) context.Context {
	return context.WithValue(ctx, messageTracesKey{}, traces)
}

// MessageTrace returns the trace context given for the message id being
// stored, "" when none was (the store then uses the span of ctx).
func MessageTrace(ctx context.Context, id string) string {
	traces, _ := ctx.Value(messageTracesKey{}).(map[string]string)
	return traces[id]
}
