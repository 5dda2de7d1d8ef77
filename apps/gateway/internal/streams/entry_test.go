package streams

import (
	"testing"
	"time"
)

func TestEntryTime(t *testing.T) {
	t.Parallel()
	e := Entry{StreamID: "1700000000123-4"}
	if got := e.Time(); !got.Equal(time.UnixMilli(1700000000123)) {
		t.Errorf("Time() = %v", got)
	}
}
