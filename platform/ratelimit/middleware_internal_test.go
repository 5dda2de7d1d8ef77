package ratelimit

import (
	"testing"
	"time"
)

func TestRetryAfterSeconds(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]int{
		0:                        1,
		-time.Second:             1,
		time.Millisecond:         1,
		time.Second:              1,
		1001 * time.Millisecond:  2,
		59500 * time.Millisecond: 60,
	} {
		if got := retryAfterSeconds(d); got != want {
			t.Errorf("retryAfterSeconds(%v) = %d, want %d", d, got, want)
		}
	}
}
