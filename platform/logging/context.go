package logging

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/trace"
)

// requestIDKey is unexported so that only this package can set or read the
// value; other packages go through WithRequestID and RequestID.
type requestIDKey struct{}

// WithRequestID returns a copy of ctx carrying the request ID id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request ID carried by ctx, or "" when there is none.
func RequestID(ctx context.Context) string {
	if ctx == nil {
		return ""
	}
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// contextHandler decorates records with values carried by the context: the
// request ID and, when the context holds a valid span, its trace and span
// ids (trace_id, span_id).
//
// The request ID is added to the record itself, so a logger derived with
// WithGroup puts it inside that group; loggers in this code base do not use
// groups on request paths, and keeping the wrapper this thin keeps it cheap.
type contextHandler struct {
	slog.Handler
}

func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	// The span of a traced request, command or task (platform/tracing):
	// its trace id finds the trace of any log line, and back.
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

func (h contextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return contextHandler{Handler: h.Handler.WithAttrs(attrs)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{Handler: h.Handler.WithGroup(name)}
}
