package postgres_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/chatforge/chat/migrations"
	"github.com/chatforge/chat/modules/messaging/internal/app"
	"github.com/chatforge/chat/modules/messaging/internal/domain"
	"github.com/chatforge/chat/platform/testenv"
	"github.com/chatforge/chat/platform/tracing"
)

// Each message's event carries the trace context of what sent it through
// the outbox: its own (SendInput.Trace, kept per message in a batch), else
// the span of the call's context, else none.
func TestOutboxCarriesTraceContext(t *testing.T) {
	db := open(t, testenv.Postgres(t, migrations.FS))
	s := newStore(db)
	a := app.New(ports(s), app.Options{})
	u := addUser(t, db)
	const (
		own1 = "00-11111111111111111111111111111111-1111111111111111-01"
		own2 = "00-22222222222222222222222222222222-2222222222222222-01"
		call = "00-33333333333333333333333333333333-3333333333333333-01"
	)
	sc, _ := tracing.Parse(call)
	traced := trace.ContextWithSpanContext(context.Background(), sc)

	if _, _, err := a.SendMessage(t.Context(), u, app.SendInput{Content: "own", Trace: own1}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.SendMessage(t.Context(), u, app.SendInput{Content: "untraced"}); err != nil {
		t.Fatal(err)
	}
	for _, r := range a.SendMessages(traced, []app.SendRequest{
		{UserID: u, Input: app.SendInput{Content: "batched, own", Trace: own2}},
		{UserID: u, Input: app.SendInput{Content: "batched, from the call"}},
	}) {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	var got []string
	if _, err := s.Drain(t.Context(), 10, func(_ context.Context, recs []domain.Record) error {
		for _, r := range recs {
			got = append(got, r.Trace)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := []string{own1, "", own2, call}
	if len(got) != len(want) {
		t.Fatalf("drained %d records, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("record %d trace = %q, want %q", i, got[i], want[i])
		}
	}
}
