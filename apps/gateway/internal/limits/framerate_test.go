package limits

import (
	"testing"
	"time"
)

// run sends frames at perSec for d from t0 and reports how many were
// refused, the largest retry hint and whether abuse was called.
func run(f *FrameRate, t0 time.Time, perSec float64, d time.Duration) (refused int, maxRetry time.Duration, abuse bool) {
	step := time.Duration(float64(time.Second) / perSec)
	for at := t0; at.Before(t0.Add(d)); at = at.Add(step) {
		v := f.Allow(at)
		if v.Allowed {
			continue
		}
		refused++
		maxRetry = max(maxRetry, v.RetryAfter)
		if v.Abuse {
			return refused, maxRetry, true
		}
	}
	return refused, maxRetry, false
}

func TestFrameRateSlightlyOverIsNeverAbuse(t *testing.T) {
	f := NewFrameRate(20, 40, 5*time.Second)
	refused, retry, abuse := run(f, time.Unix(1000, 0), 24, 2*time.Minute)
	if abuse {
		t.Fatal("1.2x the rate for two minutes was called abuse")
	}
	if refused == 0 || retry <= 0 || retry > time.Second {
		t.Errorf("refused %d, retry hint %s: want refusals with a hint within a second", refused, retry)
	}
}

func TestFrameRateFloodIsAbuse(t *testing.T) {
	for _, perSec := range []float64{60, 1000} { // 3x, 50x
		f := NewFrameRate(20, 40, 5*time.Second)
		t0 := time.Unix(1000, 0)
		_, _, abuse := run(f, t0, perSec, 10*time.Second)
		if !abuse {
			t.Errorf("%v frames/s for 10 s (limit 20) not called abuse", perSec)
		}
	}
}

func TestFrameRateRetryHintIsWhenNextFrameFits(t *testing.T) {
	f := NewFrameRate(10, 1, 5*time.Second)
	t0 := time.Unix(1000, 0)
	if !f.Allow(t0).Allowed {
		t.Fatal("first frame refused")
	}
	v := f.Allow(t0)
	if v.Allowed || v.Abuse || v.RetryAfter != 100*time.Millisecond {
		t.Fatalf("second frame: %+v, want refused with 100ms", v)
	}
	// The refusal took no token: the frame after the hint is allowed.
	if !f.Allow(t0.Add(v.RetryAfter)).Allowed {
		t.Error("frame after the hint refused")
	}
}
