package redis_test

import (
	"testing"

	redisadapter "github.com/chatforge/chat/modules/messaging/internal/adapters/redis"
	"github.com/chatforge/chat/platform/tracing"
	"github.com/chatforge/chat/platform/tracing/tracingtest"
)

// With tracing on, a traced record gets a producer span in its trace and
// its entry carries that span's context; an untraced record's entry has no
// traceparent field and starts no trace. Off, the record's own context is
// passed on as it is.
func TestPublishCarriesTraceContext(t *testing.T) {
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	rdb := client(t)
	tr, rec := tracingtest.New(t)
	recs := records(2) // rooms a and b
	recs[0].Trace = tp
	if err := redisadapter.New(rdb, key, 1000).Traced(tr).Publish(t.Context(), recs); err != nil {
		t.Fatal(err)
	}
	spans := rec.Ended()
	if len(spans) != 1 || spans[0].Name() != "chat:events publish" || spans[0].Parent().SpanID().String() != "00f067aa0ba902b7" {
		t.Fatalf("spans %v, want one publish span under the record's", spans)
	}
	a, err := rdb.XRange(t.Context(), key("a"), "-", "+").Result()
	if err != nil || len(a) != 1 {
		t.Fatal(a, err)
	}
	if got, want := a[0].Values["traceparent"], tracing.Format(spans[0].SpanContext()); got != want {
		t.Errorf("entry traceparent %v, want the publish span's %s", got, want)
	}
	b, err := rdb.XRange(t.Context(), key("b"), "-", "+").Result()
	if err != nil || len(b) != 1 {
		t.Fatal(b, err)
	}
	if v, ok := b[0].Values["traceparent"]; ok {
		t.Errorf("untraced record's entry has traceparent %v", v)
	}

	// Off: the record's context goes on unchanged.
	recs[0].EventID, recs[1].EventID = "e10", "e11"
	if err := redisadapter.New(rdb, key, 1000).Publish(t.Context(), recs[:1]); err != nil {
		t.Fatal(err)
	}
	a, _ = rdb.XRange(t.Context(), key("a"), "-", "+").Result()
	if len(a) != 2 || a[1].Values["traceparent"] != tp {
		t.Errorf("tracing off: entries %v, want the record's traceparent carried", a)
	}
}
