package hub

import (
	"fmt"
	"testing"
)

// BenchmarkPresence is one presence change on a gateway holding conns
// sockets in rooms of 10: "all" is the former policy (every socket,
// DeliverAll), "room" the current one (the sockets of the user's room,
// DeliverRooms). Connecting N users costs N times this.
func BenchmarkPresence(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		h := New(Config{SendLimit: 256}, nil)
		for i := range n {
			s := &nopSink{}
			c := NewConn(fmt.Sprint("c", i), fmt.Sprint("u", i), fmt.Sprint("s", i), s)
			s.c = c
			h.Add(c)
			h.JoinLive(c, "global")
			h.BeginJoin(c, fmt.Sprint("r", i/10)).Complete(nil, 0, nil, []byte("ack"))
		}
		frame := []byte(`{"event":"presence","data":{"userId":"u1","status":"online"}}`)
		b.Run(fmt.Sprintf("all/conns=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				h.DeliverAll(frame)
			}
		})
		b.Run(fmt.Sprintf("room/conns=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			rooms := []string{"r0"}
			for b.Loop() {
				if got := h.DeliverRooms(rooms, "u1", frame); got != 9 {
					b.Fatalf("delivered to %d, want 9", got)
				}
			}
		})
	}
}
