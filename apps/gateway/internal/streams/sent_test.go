package streams

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/chatforge/chat/modules/messaging/wire"
)

// Every command carries the time its gateway sent it (the api's
// chat_command_wait_seconds starts there), in microseconds.
func TestCommandCarriesItsSendTime(t *testing.T) {
	t.Parallel()
	rdb := newRedis(t)
	ctx, cancel := context.WithCancel(t.Context())
	c := NewCommander(rdb, "gw-test", slog.New(slog.NewTextHandler(io.Discard, nil)))
	var bg sync.WaitGroup
	bg.Go(func() { _ = c.Run(ctx) })
	bg.Go(func() { echoAPI(ctx, t, rdb) })
	defer bg.Wait()
	defer cancel()

	before := time.Now().Truncate(time.Microsecond)
	if _, err := c.Do(ctx, wire.CmdMarkRead, "u", "s", wire.MarkReadData{RoomID: "r", Seq: 1}); err != nil {
		t.Fatal(err)
	}
	after := time.Now()
	res, err := rdb.XRange(context.Background(), wire.CommandStream, "-", "+").Result()
	if err != nil || len(res) != 1 {
		t.Fatalf("command stream: %v, %v", res, err)
	}
	cmd, err := wire.ParseCommand(res[0].Values)
	if err != nil || cmd.SentAt.Before(before) || cmd.SentAt.After(after) {
		t.Errorf("SentAt = %v (%v), want between %v and %v", cmd.SentAt, err, before, after)
	}
}
