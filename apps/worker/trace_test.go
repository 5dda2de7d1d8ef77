package main

import (
	"context"
	"testing"

	"github.com/hibiken/asynq"
	"go.opentelemetry.io/otel/trace"

	"github.com/chatforge/chat/platform/tracing"
	"github.com/chatforge/chat/platform/tracing/tracingtest"
)

// A task whose payload carries a traceparent runs in a span of that trace;
// one without (older producers, tracing off) or with a payload that is not
// JSON runs in a new trace.
func TestTraceTasks(t *testing.T) {
	tr, rec := tracingtest.New(t)
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	var inTask []trace.SpanContext
	h := traceTasks(tr)(asynq.HandlerFunc(func(ctx context.Context, _ *asynq.Task) error {
		inTask = append(inTask, trace.SpanContextFromContext(ctx))
		if tracing.Traceparent(ctx) == "" {
			t.Error("the task's context has no span")
		}
		return nil
	}))
	for _, payload := range []string{`{"email":"a@b.c","traceparent":"` + tp + `"}`, `{"email":"a@b.c"}`, `not json`} {
		if err := h.ProcessTask(context.Background(), asynq.NewTask("email:verify", []byte(payload))); err != nil {
			t.Fatal(err)
		}
	}
	spans := rec.Ended()
	if len(spans) != 3 {
		t.Fatalf("%d spans, want 3", len(spans))
	}
	if s := spans[0]; s.Name() != "task email:verify" || s.Parent().SpanID().String() != "00f067aa0ba902b7" ||
		s.SpanContext().TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" || !s.SpanContext().Equal(inTask[0]) {
		t.Errorf("traced task: span %q parent %s trace %s", s.Name(), s.Parent().SpanID(), s.SpanContext().TraceID())
	}
	for _, s := range spans[1:] {
		if s.Parent().IsValid() {
			t.Errorf("untraced task: span has parent %s", s.Parent().SpanID())
		}
	}
}
