package socket

import (
	"strconv"
	"testing"

	"github.com/chatforge/chat/apps/gateway/internal/protocol"
)

func queued(i int) queuedFrame {
	return queuedFrame{env: protocol.Envelope{Event: protocol.EventSendMessage, Ref: []byte(strconv.Itoa(i))}}
}

// The queue hands frames over in order, refuses past its bound, starts
// one worker per busy spell and leaves nothing behind when it empties.
func TestFrameQueue(t *testing.T) {
	var q frameQueue
	if !q.idle() {
		t.Fatal("a new queue is busy")
	}
	start, full := q.push(queued(0), 3)
	if !start || full {
		t.Fatalf("first push: start %v full %v, want a worker to start", start, full)
	}
	for i := 1; i < 3; i++ {
		if start, full := q.push(queued(i), 3); start || full {
			t.Fatalf("push %d: start %v full %v, want queued behind the running worker", i, start, full)
		}
	}
	if _, full := q.push(queued(3), 3); !full {
		t.Fatal("push past the bound was taken")
	}
	if q.idle() {
		t.Fatal("queue with a worker reports idle")
	}
	done := q.done
	var got []string
	// The worker may take more while it runs: a frame pushed during its
	// turn is handled by the same worker, after the ones before it.
	q.work(func(f queuedFrame) {
		got = append(got, string(f.env.Ref))
		if len(got) == 1 {
			if start, full := q.push(queued(4), 3); start || full {
				t.Errorf("push while working: start %v full %v", start, full)
			}
		}
	})
	if want := []string{"0", "1", "2", "4"}; len(got) != len(want) || got[0] != "0" || got[1] != "1" || got[2] != "2" || got[3] != "4" {
		t.Fatalf("handled %v, want %v", got, want)
	}
	select {
	case <-done:
	default:
		t.Fatal("worker's done not closed when it returned")
	}
	if !q.idle() || q.items != nil || q.done != nil {
		t.Fatalf("after the worker returned: idle %v items %v done %v, want idle and nothing held", q.idle(), q.items, q.done)
	}
	// The next frame starts a new worker.
	if start, _ := q.push(queued(5), 3); !start {
		t.Fatal("push to an idle queue did not ask for a worker")
	}
	q.work(func(queuedFrame) {})
}

// close takes the frames not started and lets the running worker finish
// the one in hand, then stop; nothing is queued after it.
func TestFrameQueueClose(t *testing.T) {
	var q frameQueue
	q.push(queued(0), 8)
	q.push(queued(1), 8)
	q.push(queued(2), 8)
	inHand := make(chan struct{})
	release := make(chan struct{})
	var handled []string
	go q.work(func(f queuedFrame) {
		handled = append(handled, string(f.env.Ref))
		close(inHand)
		<-release
	})
	<-inHand
	left, done := q.close()
	if len(left) != 2 || string(left[0].env.Ref) != "1" || string(left[1].env.Ref) != "2" {
		t.Fatalf("close left %v, want frames 1 and 2", left)
	}
	if done == nil {
		t.Fatal("close gave no done channel while a worker runs")
	}
	if start, full := q.push(queued(3), 8); start || full {
		t.Fatalf("push after close: start %v full %v, want dropped", start, full)
	}
	close(release)
	<-done
	if len(handled) != 1 || handled[0] != "0" {
		t.Fatalf("handled %v, want only the frame in hand", handled)
	}
	if _, done := q.close(); done != nil {
		t.Fatal("close of an idle queue gave a done channel")
	}
}
