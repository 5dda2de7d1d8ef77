package socket

import (
	"testing"
	"time"
)

// Holds fall due in deadline order, each once; the queue's array is
// released once empty.
func TestHoldReleasesDue(t *testing.T) {
	t.Parallel()
	h := newHoldReleases()
	t0 := time.Unix(1000, 0)
	a, b, c := &client{}, &client{}, &client{}
	h.add(a, t0.Add(time.Second))
	h.add(b, t0.Add(2*time.Second))
	h.add(c, t0.Add(3*time.Second))
	got, wait := h.due(t0, nil)
	if len(got) != 0 || wait != time.Second {
		t.Fatalf("before any deadline: %d due, wait %v", len(got), wait)
	}
	got, wait = h.due(t0.Add(2*time.Second), nil)
	if len(got) != 2 || got[0].cl != a || got[1].cl != b || wait != time.Second {
		t.Fatalf("at 2s: %d due, wait %v", len(got), wait)
	}
	got, wait = h.due(t0.Add(time.Hour), nil)
	if len(got) != 1 || got[0].cl != c || wait != 0 || h.q != nil {
		t.Fatalf("at the end: %d due, wait %v, queue %v", len(got), wait, h.q)
	}
	select {
	case <-h.wake:
	default:
		t.Error("the first hold queued did not wake the releaser")
	}
}
