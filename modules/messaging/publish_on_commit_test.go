package messaging_test

import (
	"fmt"
	"testing"

	"github.com/chatforge/chat/modules/messaging"
	"github.com/chatforge/chat/platform/testenv"
)

// New messages reach their stream from the api that stored them, without
// the relay (not running here, and its grace is an hour): also in a room
// the streams lost track of (its seq key gone, as after a Redis restart or
// a long idle), where the api finds from the outbox where the room resumes.
// A room's messages stay in seq order, once each.
func TestPublishOnCommitWithoutRelay(t *testing.T) {
	db := openDB(t)
	rdb := redisClient(t, testenv.Redis(t))
	mod, err := messaging.New(messaging.Deps{DB: db, Redis: rdb, Log: quiet, Config: messaging.Config{RelayGrace: 3600e9}})
	if err != nil {
		t.Fatal(err)
	}
	u1, u2 := addUser(t, db), addUser(t, db)
	room := addRoom(t, db, u1, u2)
	send := func(i int) {
		if _, err := mod.SendMessage(t.Context(), u1, messaging.SendInput{RoomID: room, Content: fmt.Sprintf("m%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		send(i)
	}
	waitEvents(t, rdb, 3)
	// The streams forget the room (its seq key), then it resumes.
	keys, err := rdb.Keys(t.Context(), "chat:events:*:seq:"+room).Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("seq keys of the room: %v, %v", keys, err)
	}
	rdb.Del(t.Context(), keys...)
	for i := 3; i < 6; i++ {
		send(i)
	}
	events := waitEvents(t, rdb, 6)
	var seqs []int64
	for _, e := range events {
		if e.Message != nil {
			seqs = append(seqs, e.Message.Seq)
		}
	}
	if fmt.Sprint(seqs) != "[1 2 3 4 5 6]" {
		t.Errorf("stream seqs %v, want 1..6 once each", seqs)
	}
}
