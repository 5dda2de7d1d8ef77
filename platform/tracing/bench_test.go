package tracing

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// discard is an exporter that drops what it is given.
type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }

// hop is what one hop of the message path does for tracing: continue the
// carried trace, start a child, carry the child's context on, end both.
func hop(b *testing.B, tr *Tracing, carried string) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		c, span := tr.StartRemote(ctx, "consume", carried, Consumer)
		c, child := tr.Start(c, "publish", Producer)
		_ = Traceparent(c)
		child.End()
		span.End()
	}
}

const benchParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

// BenchmarkHopOff is the cost the hot path pays per hop with tracing off
// (the default): it must stay 0 allocs.
func BenchmarkHopOff(b *testing.B) { hop(b, nil, benchParent) }

// BenchmarkHopOn is the same hop recording and batching the spans (the
// exporter drops them: the export runs in the background anyway).
func BenchmarkHopOn(b *testing.B) {
	tr := newTracing(sdktrace.WithBatcher(discard{}))
	defer tr.Close()
	hop(b, tr, benchParent)
}

// BenchmarkHopOnUnsampled is a hop of a trace sampled out upstream
// (parentbased sampler, flags 00): spans are not recorded.
func BenchmarkHopOnUnsampled(b *testing.B) {
	tr := newTracing(sdktrace.WithBatcher(discard{}))
	defer tr.Close()
	hop(b, tr, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")
}
