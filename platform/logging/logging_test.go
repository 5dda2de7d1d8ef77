package logging_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

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
