package streamcmd

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// slowService counts how often each command runs (send-message by content,
// join-room by room) and takes its time; while hold is open it blocks.
type slowService struct {
	noChanges
	delay time.Duration
	hold  chan struct{} // nil: no hold

	mu   sync.Mutex
	runs map[string]int
}

func newSlow(delay time.Duration) *slowService {
	return &slowService{delay: delay, runs: map[string]int{}}
}

func (s *slowService) count(key string) {
	s.mu.Lock()
	s.runs[key]++
	s.mu.Unlock()
}

func (s *slowService) wait() {
	time.Sleep(s.delay) // ignores ctx on purpose: a slow store
	if s.hold != nil {
		<-s.hold
	}
}

func (s *slowService) SendMessages(_ context.Context, sends []Send) []SendOutcome {
	for _, x := range sends {
		s.count("send:" + x.Data.Content)
	}
	s.wait()
	out := make([]SendOutcome, len(sends))
	for i, x := range sends {
		out[i].Ack = SendAck{ID: x.Data.Content, RoomID: x.Data.RoomID, Seq: int64(i + 1), Timestamp: "t"}
	}
	return out
}

func (s *slowService) JoinRoom(_ context.Context, _ string, d JoinRoomData) (JoinAck, error) {
	s.count("join:" + d.RoomID)
	s.wait()
	return JoinAck{RoomID: d.RoomID}, nil
}

func (s *slowService) MarkRead(_ context.Context, _ string, d MarkReadData) (MarkReadAck, error) {
	return MarkReadAck(d), nil
}

func (s *slowService) snapshot() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.runs))
	for k, v := range s.runs {
		out[k] = v
	}
	return out
}

func runConsumer(t *testing.T, rdb *redis.Client, svc Service, o Options) (stop func()) {
	t.Helper()
	c, err := New(rdb, svc, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = c.Run(ctx); close(done) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// slowLoad appends joins and sends that take far longer than ClaimMinIdle
// to get through with one worker.
func slowLoad(t *testing.T, rdb *redis.Client, n int) (want []string) {
	for i := range n {
		send(t, rdb, fmt.Sprint("j", i), CmdJoinRoom, fmt.Sprintf(`{"roomId":"r%d"}`, i))
		want = append(want, fmt.Sprint("join:r", i))
		send(t, rdb, fmt.Sprint("s", i), CmdSendMessage, fmt.Sprintf(`{"roomId":"r","content":"m%d"}`, i))
		want = append(want, fmt.Sprint("send:m", i))
	}
	return want
}

func checkOnce(t *testing.T, want []string, svcs ...*slowService) {
	t.Helper()
	total := map[string]int{}
	for _, s := range svcs {
		for k, v := range s.snapshot() {
			total[k] += v
		}
	}
	for _, k := range want {
		if total[k] != 1 {
			t.Errorf("%s ran %d times, want once", k, total[k])
		}
	}
	if len(total) != len(want) {
		t.Errorf("ran %d distinct commands, want %d", len(total), len(want))
	}
}

// Nobody crashes: with commands that stay queued and run far longer than
// ClaimMinIdle, neither the reader's own claim loop nor another
// instance's takes them again.
func TestSlowCommandsRunOnce(t *testing.T) {
	t.Parallel()
	const n = 12
	for _, consumers := range []int{1, 2} {
		t.Run(fmt.Sprint(consumers, "consumers"), func(t *testing.T) {
			t.Parallel()
			rdb := newRedis(t)
			want := slowLoad(t, rdb, n)
			var svcs []*slowService
			for i := range consumers {
				svc := newSlow(150 * time.Millisecond)
				svcs = append(svcs, svc)
				runConsumer(t, rdb, svc, Options{
					Consumer: fmt.Sprint("api-", i), Workers: 1, Block: 50 * time.Millisecond,
					ClaimInterval: 20 * time.Millisecond, ClaimMinIdle: 300 * time.Millisecond,
				})
			}
			got := replies(t, rdb, 2*n)
			for ref, r := range got {
				if !r.OK {
					t.Errorf("reply %s = %s", ref, r.Data)
				}
			}
			waitPending(t, rdb, 0)
			time.Sleep(400 * time.Millisecond) // a late duplicate would show up now
			checkOnce(t, want, svcs...)
		})
	}
}

// A consumer dies holding commands (its loops stop, nothing is acked): the
// other runs each of them once, after ClaimMinIdle.
func TestDeadConsumersCommandsRunOnceByAnother(t *testing.T) {
	t.Parallel()
	rdb := newRedis(t)
	const n = 6
	want := slowLoad(t, rdb, n)

	deadRdb := redis.NewClient(rdb.Options())
	dead := newSlow(0)
	dead.hold = make(chan struct{})
	defer close(dead.hold) // before the cleanups stop its Run
	runConsumer(t, deadRdb, dead, Options{Consumer: "dying", Workers: 1, Block: 50 * time.Millisecond,
		ClaimInterval: 20 * time.Millisecond, ClaimMinIdle: 300 * time.Millisecond})
	waitPending(t, rdb, 2*n) // it read everything
	for deadline := time.Now().Add(5 * time.Second); len(dead.snapshot()) < 2 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	_ = deadRdb.Close() // dies: no keep-alive, no reply, no ack

	alive := newSlow(20 * time.Millisecond)
	runConsumer(t, rdb, alive, Options{Consumer: "alive", Workers: 1, Block: 50 * time.Millisecond,
		ClaimInterval: 20 * time.Millisecond, ClaimMinIdle: 300 * time.Millisecond})
	got := replies(t, rdb, 2*n)
	for ref, r := range got {
		if !r.OK {
			t.Errorf("reply %s = %s", ref, r.Data)
		}
	}
	waitPending(t, rdb, 0)
	time.Sleep(400 * time.Millisecond)
	checkOnce(t, want, alive)
}

// A send-message too old to commit before its gateway gives up (here:
// claimed after its reader died, older than MaxAge) is acknowledged
// without running and answered unavailable; other commands still run.
func TestExpiredSendIsNotRun(t *testing.T) {
	t.Parallel()
	rdb := newRedis(t)
	ctx := context.Background()
	if err := rdb.XGroupCreateMkStream(ctx, CommandStream, CommandGroup, "0").Err(); err != nil {
		t.Fatal(err)
	}
	send(t, rdb, "old", CmdSendMessage, `{"roomId":"r","content":"old"}`)
	send(t, rdb, "join", CmdJoinRoom, `{"roomId":"r"}`)
	if err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: CommandGroup, Consumer: "dead", Streams: []string{CommandStream, ">"}}).Err(); err != nil {
		t.Fatal(err)
	}
	svc := newSlow(0)
	runConsumer(t, rdb, svc, Options{Consumer: "api-2", Block: 50 * time.Millisecond,
		ClaimInterval: 20 * time.Millisecond, ClaimMinIdle: 300 * time.Millisecond, MaxAge: 250 * time.Millisecond})
	got := replies(t, rdb, 2)
	if e := got["old"].Err(); e == nil || e.Code != CodeUnavailable {
		t.Errorf("expired send reply = %+v", got["old"])
	}
	if !got["join"].OK {
		t.Errorf("join reply = %+v", got["join"])
	}
	waitPending(t, rdb, 0)
	if runs := svc.snapshot(); runs["send:old"] != 0 || runs["join:r"] != 1 {
		t.Errorf("runs = %v", runs)
	}

	// A fresh one runs.
	send(t, rdb, "new", CmdSendMessage, `{"roomId":"r","content":"new"}`)
	got = replies(t, rdb, 3)
	var ack SendAck
	if r := got["new"]; !r.OK || json.Unmarshal(r.Data, &ack) != nil || ack.ID != "new" {
		t.Errorf("fresh send reply = %+v", r)
	}
}
