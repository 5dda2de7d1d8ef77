package streams

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzEntryTime checks the reading of a Redis entry id ("<ms>-<seq>"),
// which gives the stream lag in metrics: any id is read without a panic,
// and the time of a well-formed id is its milliseconds.
func FuzzEntryTime(f *testing.F) {
	for _, s := range []string{"1700000000000-0", "0-0", "", "-", "18446744073709551615-1", "abc-1", "1700000000000", "-5-3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		got := Entry{StreamID: id}.Time()
		ms, _, _ := strings.Cut(id, "-")
		if n, err := strconv.ParseInt(ms, 10, 64); err == nil && got.UnixMilli() != n {
			t.Fatalf("Time of %q = %v (%d ms), want %d ms", id, got, got.UnixMilli(), n)
		}
	})
}
