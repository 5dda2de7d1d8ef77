// Package tracingtest gives unit tests a Tracing that keeps its spans in
// memory instead of exporting them.
package tracingtest

import (
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
