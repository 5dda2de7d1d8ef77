package tracing

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

func TestParseFormat(t *testing.T) {
	t.Parallel()
	const valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	sc, ok := Parse(valid)
	if !ok || !sc.IsRemote() || !sc.IsSampled() || sc.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Fatalf("Parse(%q) = %v, %v", valid, sc, ok)
	}
	if got := Format(sc); got != valid {
		t.Errorf("Format = %q, want %q", got, valid)
	}
	for _, s := range []string{
		"",
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",        // short
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", // version 00 has no more fields
		"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",       // version ff is invalid
		"00-00000000000000000000000000000000-00f067aa0ba902b7-01",       // zero trace id
		"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",       // zero span id
		"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",       // uppercase
		"00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01",       // separator
		"0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",       // not hex
		"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",      // later version, bad tail
	} {
		if _, ok := Parse(s); ok {
			t.Errorf("Parse(%q) accepted", s)
		}
	}
	// A later version may carry more fields; the known ones are read.
	if _, ok := Parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-ever"); !ok {
		t.Error("Parse refused a version 01 traceparent with more fields")
	}
}

func TestConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		c       Config
		on      bool
		wantErr bool
	}{
		{name: "default is off", c: Config{}, on: false},
		{name: "an endpoint turns it on", c: Config{Endpoint: "http://collector:4318"}, on: true},
		{name: "none wins over an endpoint", c: Config{Exporter: "none", Endpoint: "http://collector:4318"}, on: false},
		{name: "otlp alone (default endpoint)", c: Config{Exporter: "otlp"}, on: true},
		{name: "sdk disabled", c: Config{Exporter: "otlp", Disabled: true}, on: false},
		{name: "unknown exporter", c: Config{Exporter: "jaeger"}, on: false, wantErr: true},
		{name: "grpc not built in", c: Config{Exporter: "otlp", Protocol: "grpc"}, on: true, wantErr: true},
		{name: "bad endpoint", c: Config{Endpoint: "collector:4318"}, on: true, wantErr: true},
		{name: "bad sampler", c: Config{Exporter: "otlp", Sampler: "sometimes"}, on: true, wantErr: true},
		{name: "bad ratio", c: Config{Exporter: "otlp", Sampler: "traceidratio", SamplerArg: "2"}, on: true, wantErr: true},
		{name: "ratio", c: Config{Exporter: "otlp", Sampler: "parentbased_traceidratio", SamplerArg: "0.25"}, on: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.c.On(); got != tt.on {
				t.Errorf("On() = %v, want %v", got, tt.on)
			}
			if err := tt.c.Validate(); (err != nil) != tt.wantErr {
				t.Errorf("Validate() = %v, wantErr %v", err, tt.wantErr)
			}
		})
	}
	if u, _ := (Config{Endpoint: "http://c:4318/"}).endpointURL(); u != "http://c:4318/v1/traces" {
		t.Errorf("endpoint URL = %q", u)
	}
	if u, _ := (Config{Endpoint: "http://c:4318", TracesEndpoint: "http://t:1/x"}).endpointURL(); u != "http://t:1/x" {
		t.Errorf("traces endpoint URL = %q", u)
	}
}

func TestOffIsFree(t *testing.T) {
	var off *Tracing
	if tr, err := New(t.Context(), Config{}, "x", nil); err != nil || tr != nil {
		t.Fatalf("New(default) = %v, %v; want off", tr, err)
	}
	ctx := context.Background()
	allocs := testing.AllocsPerRun(100, func() {
		c, span := off.StartRemote(ctx, "consume", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", Consumer)
		c, child := off.Start(c, "child", Internal)
		if Traceparent(c) != "" || span.IsRecording() {
			t.Fatal("off: a span was started")
		}
		child.End()
		span.End()
	})
	if allocs != 0 {
		t.Errorf("off: %v allocations per run, want 0", allocs)
	}
	if off.Gin() != nil {
		t.Error("off: Gin returned a middleware")
	}
}

func TestSpansJoinTheCarriedTrace(t *testing.T) {
	t.Parallel()
	rec := tracetest.NewSpanRecorder()
	tr := newTracing(sdktrace.WithSpanProcessor(rec))
	ctx, root := tr.Start(context.Background(), "frame", Server)
	ctx, prod := tr.Start(ctx, "append", Producer)
	carried := Traceparent(ctx)
	prod.End()
	root.End()
	if sc, ok := Parse(carried); !ok || sc.TraceID() != root.SpanContext().TraceID() {
		t.Fatalf("carried %q is not of trace %s", carried, root.SpanContext().TraceID())
	}
	// The next process continues it.
	_, cons := tr.StartRemote(context.Background(), "consume", carried, Consumer)
	cons.End()
	// An entry without a traceparent (or a malformed one) starts a trace.
	_, fresh := tr.StartRemote(context.Background(), "consume", "garbage", Consumer)
	fresh.End()

	spans := rec.Ended()
	if len(spans) != 4 {
		t.Fatalf("%d spans ended, want 4", len(spans))
	}
	c := spans[2]
	if c.Parent().SpanID() != prod.SpanContext().SpanID() || c.SpanContext().TraceID() != root.SpanContext().TraceID() ||
		c.SpanKind() != trace.SpanKindConsumer {
		t.Errorf("consumer span parent %s trace %s; want parent %s trace %s", c.Parent().SpanID(),
			c.SpanContext().TraceID(), prod.SpanContext().SpanID(), root.SpanContext().TraceID())
	}
	if f := spans[3]; f.Parent().IsValid() || f.SpanContext().TraceID() == root.SpanContext().TraceID() {
		t.Errorf("a malformed traceparent joined a trace: parent %v", f.Parent())
	}
}

func TestStartBatch(t *testing.T) {
	t.Parallel()
	rec := tracetest.NewSpanRecorder()
	tr := newTracing(sdktrace.WithSpanProcessor(rec))
	const a = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	const b = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	_, span := tr.StartBatch(context.Background(), "batch", []string{"", a, b})
	span.End()
	s := rec.Ended()[0]
	if s.Parent().TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" || len(s.Links()) != 1 ||
		s.Links()[0].SpanContext.TraceID().String() != "0af7651916cd43dd8448eb211c80319c" {
		t.Errorf("batch span parent %v links %v", s.Parent(), s.Links())
	}
}

// New exports to the configured endpoint over OTLP/HTTP protobuf, and a
// failing collector is reported in the log, not on stderr.
func TestNewExportsToEndpoint(t *testing.T) {
	var (
		mu    sync.Mutex
		paths []string
		fail  bool
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		paths = append(paths, r.Method+" "+r.URL.Path+" "+r.Header.Get("Content-Type"))
		if fail {
			http.Error(w, "down", http.StatusBadRequest) // not retried
			return
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer srv.Close()
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "20") // ms: the background export runs soon
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	tr, err := New(t.Context(), Config{Endpoint: srv.URL, ServiceName: "svc"}, "default", log)
	if err != nil || !tr.Enabled() {
		t.Fatalf("New = %v, %v", tr, err)
	}
	_, span := tr.Start(t.Context(), "work", Internal)
	span.End()
	if err := tr.tp.ForceFlush(t.Context()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	got := strings.Join(paths, ";")
	fail = true
	mu.Unlock()
	if got != "POST /v1/traces application/x-protobuf" {
		t.Errorf("exports %q, want one POST /v1/traces of protobuf", got)
	}
	_, span = tr.Start(t.Context(), "lost", Internal)
	span.End()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), "tracing: OpenTelemetry error") {
		if time.Now().After(deadline) {
			t.Fatalf("a failed export was not logged; log:\n%s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	tr.Close()
}

// syncBuffer is a bytes.Buffer safe for the exporter's goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
