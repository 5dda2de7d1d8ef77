package streamcmd

import (
	"fmt"
	"testing"
)

func queued(ids ...string) []queuedSend {
	out := make([]queuedSend, len(ids))
	for i, id := range ids {
		out[i].id = id
	}
	return out
}

func ids(q []queuedSend) string {
	out := make([]string, len(q))
	for i, s := range q {
		out[i] = s.id
	}
	return fmt.Sprint(out)
}

// The taker gets what was pushed, in order, up to its batch size at a
// time; after close it still gets what is left, then nil.
func TestSendQueueOrderBatchAndClose(t *testing.T) {
	t.Parallel()
	q := newSendQueue()
	q.push(queued("a", "b", "c"))
	q.push(nil)
	q.push(queued("d"))
	if got := ids(q.take(2)); got != "[a b]" {
		t.Fatalf("first take = %s, want [a b]", got)
	}
	if got := ids(q.take(10)); got != "[c d]" {
		t.Fatalf("second take = %s, want [c d]", got)
	}
	taken := make(chan []queuedSend)
	go func() { taken <- q.take(10) }() // waits for a push
	q.push(queued("e", "f"))
	if got := ids(<-taken); got != "[e f]" {
		t.Fatalf("waiting take = %s, want [e f]", got)
	}
	q.push(queued("g"))
	q.close()
	if got := ids(q.take(10)); got != "[g]" {
		t.Fatalf("take after close = %s, want what was left: [g]", got)
	}
	if got := q.take(10); got != nil {
		t.Fatalf("take on a closed, empty queue = %s, want nil", ids(got))
	}
}
