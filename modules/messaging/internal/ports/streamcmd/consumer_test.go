package streamcmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/platform/outage"
	"github.com/chatforge/chat/platform/testenv"
)

// fakeService answers from the data it gets; roomId "panic" panics (the
// whole batch of sends), "missing" is not found, "broken" fails, "down"
// meets a PostgreSQL outage.
type fakeService struct {
	noChanges
	sends   atomic.Int64
	mu      sync.Mutex
	batches [][]Send // every SendMessages call
}

func (f *fakeService) SendMessages(_ context.Context, sends []Send) []SendOutcome {
	f.mu.Lock()
	f.batches = append(f.batches, sends)
	f.mu.Unlock()
	out := make([]SendOutcome, len(sends))
	for i, s := range sends {
		switch s.Data.RoomID {
		case "panic":
			panic("boom")
		case "missing":
			out[i].Err = &Error{Code: CodeNotFound, Message: "room not found"}
		case "broken":
			out[i].Err = fmt.Errorf("database exploded")
		case "down":
			out[i].Err = fmt.Errorf("store: %w", outage.Mark("postgres", errors.New("dial tcp: connection refused")))
		default:
			n := f.sends.Add(1)
			out[i].Ack = SendAck{ID: s.UserID + ":" + s.Data.Content, RoomID: s.Data.RoomID, Seq: n, Timestamp: "t"}
		}
	}
	return out
}

func (f *fakeService) JoinRoom(_ context.Context, _ string, d JoinRoomData) (JoinAck, error) {
	ok := true
	return JoinAck{RoomID: d.RoomID, LastSeq: int64(d.Limit), Recovered: &ok, Messages: []json.RawMessage{json.RawMessage(`{"seq":1}`)}}, nil
}

func (f *fakeService) MarkRead(_ context.Context, _ string, d MarkReadData) (MarkReadAck, error) {
	return MarkReadAck(d), nil
}

func newRedis(t *testing.T) *redis.Client {
	t.Helper()
	rdb := testenv.RedisClient(t)
	return rdb
}

func start(t *testing.T, rdb *redis.Client, o Options) *fakeService {
	t.Helper()
	svc := &fakeService{}
	c, err := New(rdb, svc, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = c.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return svc
}

func send(t *testing.T, rdb *redis.Client, ref string, typ CommandType, data string) {
	t.Helper()
	cmd := Command{ID: "id-" + ref, Type: typ, UserID: "u1", SessionID: "s1", Reply: "chat:replies:test", Ref: ref, Data: json.RawMessage(data)}
	if err := rdb.XAdd(context.Background(), &redis.XAddArgs{Stream: CommandStream, Values: cmd.Values()}).Err(); err != nil {
		t.Fatal(err)
	}
}

// replies reads n replies from the test reply stream, by ref.
func replies(t *testing.T, rdb *redis.Client, n int) map[string]Reply {
	t.Helper()
	out := map[string]Reply{}
	last := "0"
	deadline := time.Now().Add(10 * time.Second)
	for len(out) < n && time.Now().Before(deadline) {
		res, err := rdb.XRead(context.Background(), &redis.XReadArgs{Streams: []string{"chat:replies:test", last}, Block: 200 * time.Millisecond}).Result()
		if err != nil && err != redis.Nil {
			t.Fatal(err)
		}
		for _, s := range res {
			for _, m := range s.Messages {
				r, err := ParseReply(m.Values)
				if err != nil {
					t.Fatal(err)
				}
				out[r.Ref] = r
				last = m.ID
			}
		}
	}
	if len(out) < n {
		t.Fatalf("got %d replies, want %d: %v", len(out), n, out)
	}
	return out
}

func TestConsumerAnswersEveryCommand(t *testing.T) {
	t.Parallel()
	rdb := newRedis(t)
	start(t, rdb, Options{Consumer: "api-1", Block: 100 * time.Millisecond})
	send(t, rdb, "1", CmdSendMessage, `{"roomId":"r","content":"hi"}`)
	send(t, rdb, "2", CmdJoinRoom, `{"roomId":"r","lastSeq":3,"limit":7}`)
	send(t, rdb, "3", CmdMarkRead, `{"roomId":"r","seq":4}`)
	send(t, rdb, "4", CmdSendMessage, `{"roomId":"missing","content":"x"}`)
	send(t, rdb, "6", CmdSendMessage, `{"roomId":"broken","content":"x"}`)
	send(t, rdb, "7", CmdSendMessage, `not json`)
	send(t, rdb, "8", "explode", `{}`)
	send(t, rdb, "9", CmdSendMessage, `{"roomId":"r","content":5}`) // a room, but no message
	send(t, rdb, "10", CmdSendMessage, `{"roomId":"down","content":"x"}`)
	replies(t, rdb, 9)
	// Alone: a panic fails every send of its batch.
	send(t, rdb, "5", CmdSendMessage, `{"roomId":"panic","content":"x"}`)
	got := replies(t, rdb, 10)

	var ack SendAck
	if r := got["1"]; !r.OK || json.Unmarshal(r.Data, &ack) != nil || ack.ID != "u1:hi" || ack.Seq != 1 {
		t.Errorf("send reply = %+v", got["1"])
	}
	var join JoinAck
	if r := got["2"]; !r.OK || json.Unmarshal(r.Data, &join) != nil || join.LastSeq != 7 || len(join.Messages) != 1 {
		t.Errorf("join reply = %s", got["2"].Data)
	}
	if r := got["3"]; !r.OK || string(r.Data) != `{"roomId":"r","seq":4}` {
		t.Errorf("mark-read reply = %s", r.Data)
	}
	for ref, code := range map[string]string{"4": CodeNotFound, "5": CodeInternal, "6": CodeInternal, "7": CodeBadRequest, "8": CodeBadRequest, "9": CodeBadRequest, "10": CodeUnavailable} {
		if e := got[ref].Err(); e == nil || e.Code != code {
			t.Errorf("reply %s error = %v, want %s", ref, e, code)
		}
	}
	if ttl := rdb.TTL(context.Background(), "chat:replies:test").Val(); ttl <= 0 || ttl > ReplyStreamTTL {
		t.Errorf("reply stream TTL = %v", ttl)
	}
	waitPending(t, rdb, 0)
}

// The send-message commands of one read are one SendMessages call, in
// the order they were appended, and each gets its own reply; the other
// commands of the read are answered too.
func TestSendsOfOneReadAreOneBatchInOrder(t *testing.T) {
	t.Parallel()
	rdb := newRedis(t)
	const n = 50
	for i := range n {
		send(t, rdb, fmt.Sprint(i), CmdSendMessage, fmt.Sprintf(`{"roomId":"r","content":"%d"}`, i))
		if i%10 == 0 {
			send(t, rdb, fmt.Sprintf("read-%d", i), CmdMarkRead, `{"roomId":"r","seq":1}`)
		}
	}
	svc := start(t, rdb, Options{Consumer: "api-1", Block: 100 * time.Millisecond})
	got := replies(t, rdb, n+5)
	for i := range n {
		var ack SendAck
		if r := got[fmt.Sprint(i)]; !r.OK || json.Unmarshal(r.Data, &ack) != nil || ack.Seq != int64(i+1) || ack.ID != fmt.Sprintf("u1:%d", i) {
			t.Errorf("send %d reply = %+v (%s), want seq %d", i, r, r.Data, i+1)
		}
	}
	for i := 0; i < n; i += 10 {
		if r := got[fmt.Sprintf("read-%d", i)]; !r.OK {
			t.Errorf("mark-read reply = %+v", r)
		}
	}
	svc.mu.Lock()
	defer svc.mu.Unlock()
	if len(svc.batches) != 1 || len(svc.batches[0]) != n {
		t.Errorf("%d SendMessages calls, want one of %d", len(svc.batches), n)
	}
	waitPending(t, rdb, 0)
}

// TestOrphanedCommandsAreClaimed: an api read commands and died before
// answering; another instance takes them over after ClaimMinIdle.
func TestOrphanedCommandsAreClaimed(t *testing.T) {
	t.Parallel()
	rdb := newRedis(t)
	ctx := context.Background()
	if err := rdb.XGroupCreateMkStream(ctx, CommandStream, CommandGroup, "0").Err(); err != nil {
		t.Fatal(err)
	}
	send(t, rdb, "a", CmdSendMessage, `{"roomId":"r","content":"one"}`)
	send(t, rdb, "b", CmdSendMessage, `{"roomId":"r","content":"two"}`)
	// The dead instance reads both and never acknowledges.
	res, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: CommandGroup, Consumer: "dead", Streams: []string{CommandStream, ">"}}).Result()
	if err != nil || len(res[0].Messages) != 2 {
		t.Fatalf("dead read = %v, %v", res, err)
	}
	start(t, rdb, Options{Consumer: "api-2", Block: 100 * time.Millisecond, ClaimInterval: 100 * time.Millisecond, ClaimMinIdle: 300 * time.Millisecond})
	got := replies(t, rdb, 2)
	if !got["a"].OK || !got["b"].OK {
		t.Errorf("claimed replies = %+v", got)
	}
	waitPending(t, rdb, 0)
}

func waitPending(t *testing.T, rdb *redis.Client, want int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		p, err := rdb.XPending(context.Background(), CommandStream, CommandGroup).Result()
		if err == nil && p.Count == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pending = %+v, %v; want %d", p, err, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
