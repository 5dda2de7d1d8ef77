package streamcmd

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/platform/testenv"
	"github.com/chatforge/chat/platform/tracing"
	"github.com/chatforge/chat/platform/tracing/tracingtest"
)

// ackService acknowledges every send at once: the benchmark measures the
// consumer, not a store.
type ackService struct{ noChanges }

func (ackService) SendMessages(_ context.Context, sends []Send) []SendOutcome {
	out := make([]SendOutcome, len(sends))
	for i, s := range sends {
		out[i].Ack = SendAck{ID: s.Data.ClientMsgID, RoomID: s.Data.RoomID, Seq: int64(i + 1), Timestamp: "t"}
	}
	return out
}

func (ackService) JoinRoom(context.Context, string, JoinRoomData) (JoinAck, error) {
	return JoinAck{}, nil
}

func (ackService) MarkRead(context.Context, string, MarkReadData) (MarkReadAck, error) {
	return MarkReadAck{}, nil
}

// BenchmarkDispatchSends runs one read of 100 send-message entries (16
// rooms) through the consumer: parse, slot by room, queue, decode, the
// Service call and the pipelined replies and XACKs. The stream read itself
// is left out. "redis" sends the replies to the real Redis; "cpu" answers
// every Redis call in process, for the consumer's own cost without the
// noise of the round trip.
func BenchmarkDispatchSends(b *testing.B) {
	b.Run("redis", func(b *testing.B) { benchDispatchSends(b, testenv.RedisClient(b), nil) })
	cpu := func(b *testing.B) *redis.Client {
		rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never dialled
		rdb.AddHook(noRedis{})
		b.Cleanup(func() { _ = rdb.Close() })
		return rdb
	}
	b.Run("cpu", func(b *testing.B) { benchDispatchSends(b, cpu(b), nil) })
	// Tracing on, every command carrying its gateway's trace context: a
	// span per command and one per batch, recorded in memory.
	b.Run("cpu-traced", func(b *testing.B) {
		benchDispatchSends(b, cpu(b), tracingtest.Discarding(b))
	})
}

func benchDispatchSends(b *testing.B, rdb *redis.Client, tr *tracing.Tracing) {
	const n, rooms = 100, 16
	c, err := New(rdb, ackService{}, Options{Consumer: "bench", Tracing: tr})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, q := range c.sends {
		go c.sendLoop(ctx, q)
	}
	defer func() {
		for _, q := range c.sends {
			q.close()
		}
	}()
	values := make([]map[string]any, n)
	for i := range values {
		data, _ := json.Marshal(SendMessageData{
			RoomID:      fmt.Sprintf("0b7f3c1e-9a2d-4e5f-8c6b-%012d", i%rooms),
			Content:     "a benchmark message of a typical length, neither short nor long",
			ClientMsgID: fmt.Sprintf("c7d1e0f2-3b4a-4c5d-9e8f-%012d", i),
		})
		cmd := Command{ID: strconv.Itoa(i), Type: CmdSendMessage, UserID: "u", SessionID: "s",
			Reply: "chat:replies:bench", Ref: strconv.Itoa(i), Data: data}
		if tr != nil {
			cmd.Trace = fmt.Sprintf("00-4bf92f3577b34da6a3ce929d0e0e%04d-00f067aa0ba902b7-01", i)
		}
		v := cmd.Values()
		values[i] = make(map[string]any, len(v)/2)
		for j := 0; j < len(v); j += 2 {
			values[i][v[j].(string)] = str(v[j+1])
		}
	}
	msgs := make([]redis.XMessage, n)
	for b.Loop() {
		born := time.Now().UnixMilli() // entry ids are fresh: no send expires
		for i := range msgs {
			msgs[i] = redis.XMessage{ID: strconv.FormatInt(born, 10) + "-" + strconv.Itoa(i), Values: values[i]}
		}
		c.dispatch(ctx, msgs).Wait()
	}
}

// noRedis answers every command in process: TIME with this host's clock,
// anything else with nothing.
type noRedis struct{}

func (noRedis) DialHook(next redis.DialHook) redis.DialHook { return next }

func (noRedis) ProcessHook(redis.ProcessHook) redis.ProcessHook {
	return func(_ context.Context, cmd redis.Cmder) error {
		if t, ok := cmd.(*redis.TimeCmd); ok {
			t.SetVal(time.Now())
		}
		return nil
	}
}

func (noRedis) ProcessPipelineHook(redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(context.Context, []redis.Cmder) error { return nil }
}

// str converts an XADD field value to the string XREAD gives back.
func str(v any) string {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	s, _ := v.(string)
	return s
}
