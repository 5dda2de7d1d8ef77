package streamcmd

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// A send-message that waited in the command stream longer than ShedAfter
// is answered unavailable with a retry hint and not run (the client
// resends it later); a fresh one is stored.
func TestSendWaitingTooLongIsShed(t *testing.T) {
	rdb := newRedis(t)
	old := Command{ID: "id-old", Type: CmdSendMessage, UserID: "u1", SessionID: "s1", Reply: "chat:replies:test", Ref: "old",
		Data: json.RawMessage(`{"roomId":"r","content":"late"}`)}
	id := strconv.FormatInt(time.Now().Add(-3*time.Second).UnixMilli(), 10) + "-0"
	if err := rdb.XAdd(context.Background(), &redis.XAddArgs{Stream: CommandStream, ID: id, Values: old.Values()}).Err(); err != nil {
		t.Fatal(err)
	}
	send(t, rdb, "fresh", CmdSendMessage, `{"roomId":"r","content":"now"}`)
	svc := start(t, rdb, Options{Consumer: "c1", ShedAfter: time.Second, MaxAge: 10 * time.Second})

	got := replies(t, rdb, 2)
	if e := got["old"].Err(); e == nil || e.Code != CodeUnavailable || e.RetryAfterMs != 1000 {
		t.Errorf("old send answered %+v, want unavailable with retryAfterMs 1000", e)
	}
	if !got["fresh"].OK {
		t.Errorf("fresh send answered %s, want ok", got["fresh"].Data)
	}
	if n := svc.sends.Load(); n != 1 {
		t.Errorf("%d sends stored, want only the fresh one", n)
	}
}

// While the relay is further behind than MaxRelayLag, every send-message
// is shed (storing more would only deliver it later); other commands run.
func TestSendsAreShedWhileTheRelayLags(t *testing.T) {
	rdb := newRedis(t)
	send(t, rdb, "s", CmdSendMessage, `{"roomId":"r","content":"x"}`)
	send(t, rdb, "j", CmdJoinRoom, `{"roomId":"r"}`)
	lag := func(context.Context) (time.Duration, error) { return 10 * time.Second, nil }
	svc := start(t, rdb, Options{Consumer: "c1", RelayLag: lag, MaxRelayLag: time.Second})

	got := replies(t, rdb, 2)
	if e := got["s"].Err(); e == nil || e.Code != CodeUnavailable || e.RetryAfterMs == 0 {
		t.Errorf("send answered %+v, want unavailable with a retry hint", e)
	}
	if !got["j"].OK {
		t.Errorf("join answered %s, want ok", got["j"].Data)
	}
	if n := svc.sends.Load(); n != 0 {
		t.Errorf("%d sends stored while the relay lagged, want 0", n)
	}
}
