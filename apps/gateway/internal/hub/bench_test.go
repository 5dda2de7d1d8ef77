package hub

import (
	"fmt"
	"testing"
)

// nopSink is a client that reads instantly: the benchmark measures the hub
// (lookup, per-connection dedupe, queueing), not a network.
type nopSink struct{ c *Conn }

func (s *nopSink) Write([]byte) error { s.c.Sent(); return nil }
func (s *nopSink) Close(int, string)  {}
func (s *nopSink) Kill()              {}

// BenchmarkFanout delivers one message event to N local connections joined
// to its room (the transport is in the socket-level benchmark in package
// socket). Expect 0 allocs/op: the frame is shared, the scratch slice pooled.
func BenchmarkFanout(b *testing.B) {
	for _, n := range []int{1, 100, 1000, 10000} {
		b.Run(fmt.Sprint("conns=", n), func(b *testing.B) {
			h := New(Config{SendLimit: 256}, nil)
			for i := range n {
				s := &nopSink{}
				c := NewConn(fmt.Sprint("c", i), fmt.Sprint("u", i), fmt.Sprint("s", i), s)
				s.c = c
				h.Add(c)
				h.JoinLive(c, "room")
				h.JoinLive(c, "other")
			}
			frame := []byte(`{"event":"receive-message","data":{"id":"x","seq":1}}`)
			seq := int64(0)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				seq++
				if got := h.DeliverMessage("room", seq, frame); got != n {
					b.Fatalf("delivered to %d, want %d", got, n)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/recipient")
		})
	}
}
