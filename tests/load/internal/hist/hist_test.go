package hist

import (
	"encoding/json"
	"testing"
	"time"
)

func TestRecordSummaryAndRoundTrip(t *testing.T) {
	t.Parallel()
	a, b := New(), New()
	for i := 1; i <= 1000; i++ {
		a.Record(time.Duration(i) * time.Millisecond)
	}
	b.Record(time.Hour) // clamped, not lost
	raw, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	var back Hist
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	a.Merge(&back)
	s := a.Summary()
	if s.Count != 1001 {
		t.Fatalf("count = %d, want 1001", s.Count)
	}
	if s.P50 < 499 || s.P50 > 502 || s.P99 < 989 || s.P99 > 992 {
		t.Errorf("percentiles off: %v", s)
	}
	if s.Max < 599000 {
		t.Errorf("max = %v ms, want the clamped 10 min", s.Max)
	}
}
