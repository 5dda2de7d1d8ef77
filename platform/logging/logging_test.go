package logging_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/chatforge/chat/platform/logging"
)

func TestParseLevel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    slog.Level
		wantErr bool
	}{
		{in: "debug", want: slog.LevelDebug},
		{in: "INFO", want: slog.LevelInfo},
		{in: "", want: slog.LevelInfo},
		{in: " warn ", want: slog.LevelWarn},
		{in: "error", want: slog.LevelError},
		{in: "verbose", wantErr: true},
		{in: "warning", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := logging.ParseLevel(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseLevel(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Errorf("ParseLevel(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestNewRejectsBadLevel(t *testing.T) {
	t.Parallel()
	if _, err := logging.New(&bytes.Buffer{}, "loud"); err == nil {
		t.Fatal("New with a bad level: want an error")
	}
}

func TestRequestIDAttribute(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		ctx    context.Context
		wantID any // nil: attribute absent
	}{
		{name: "with id", ctx: logging.WithRequestID(context.Background(), "req-1"), wantID: "req-1"},
		{name: "without id", ctx: context.Background(), wantID: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			log, err := logging.New(&buf, "debug")
			if err != nil {
				t.Fatal(err)
			}
			// WithAttrs must keep the decoration.
			log.With("component", "test").InfoContext(tt.ctx, "hello")

			var rec map[string]any
			if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
				t.Fatalf("log output is not JSON: %v: %s", err, buf.String())
			}
			if got := rec["request_id"]; got != tt.wantID {
				t.Errorf("request_id = %v, want %v", got, tt.wantID)
			}
			if rec["component"] != "test" || rec["msg"] != "hello" {
				t.Errorf("unexpected record %v", rec)
			}
		})
	}
}

func TestLevelFilters(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log, err := logging.New(&buf, "warn")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("dropped")
	if buf.Len() != 0 {
		t.Errorf("info record written at warn level: %s", buf.String())
	}
}

func TestRequestIDRoundTrip(t *testing.T) {
	t.Parallel()
	if got := logging.RequestID(context.Background()); got != "" {
		t.Errorf("RequestID(empty ctx) = %q, want empty", got)
	}
	ctx := logging.WithRequestID(context.Background(), "abc")
	if got := logging.RequestID(ctx); got != "abc" {
		t.Errorf("RequestID = %q, want abc", got)
	}
}

func TestTraceIDAttribute(t *testing.T) {
	t.Parallel()
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled})
	tests := []struct {
		name      string
		ctx       context.Context
		wantTrace any // nil: attribute absent
		wantSpan  any
	}{
		{name: "traced", ctx: trace.ContextWithSpanContext(context.Background(), sc),
			wantTrace: "4bf92f3577b34da6a3ce929d0e0e4736", wantSpan: "00f067aa0ba902b7"},
		{name: "untraced", ctx: context.Background()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			log, err := logging.New(&buf, "info")
			if err != nil {
				t.Fatal(err)
			}
			log.With("component", "test").InfoContext(tt.ctx, "hello")
			var rec map[string]any
			if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
				t.Fatalf("log output is not JSON: %v: %s", err, buf.String())
			}
			if rec["trace_id"] != tt.wantTrace || rec["span_id"] != tt.wantSpan {
				t.Errorf("trace_id, span_id = %v, %v; want %v, %v", rec["trace_id"], rec["span_id"], tt.wantTrace, tt.wantSpan)
			}
		})
	}
}
