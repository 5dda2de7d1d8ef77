// Package tracingtest gives unit tests a Tracing that keeps its spans in
// memory instead of exporting them.
package tracingtest

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/chatforge/chat/platform/tracing"
)

// New returns a Tracing that samples every span and the recorder that
// holds them once ended (Ended); it is shut down in t.Cleanup.
func New(t testing.TB) (*tracing.Tracing, *tracetest.SpanRecorder) {
	rec := tracetest.NewSpanRecorder()
	tr := tracing.FromProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec), sdktrace.WithSampler(sdktrace.AlwaysSample())))
	t.Cleanup(tr.Close)
	return tr, rec
}

// Discarding returns a Tracing that samples, records and batches every span
// as in production, then drops them: for benchmarks of the cost of tracing
// on. It is shut down in t.Cleanup.
func Discarding(t testing.TB) *tracing.Tracing {
	tr := tracing.FromProvider(sdktrace.NewTracerProvider(sdktrace.WithBatcher(discard{}), sdktrace.WithSampler(sdktrace.AlwaysSample())))
	t.Cleanup(tr.Close)
	return tr
}

type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }
