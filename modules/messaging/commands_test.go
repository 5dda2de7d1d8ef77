package messaging_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/modules/messaging"
	"github.com/chatforge/chat/platform/testenv"
)

// The command consumer over the real stores: send-message commands queued
// together are stored as one batch, each connection's messages to a room
// take increasing seqs in the order they were appended, each command gets
// its own reply (a forbidden one its error), and a repeated clientMsgId
// gets the first message's ack.
func TestCommandsStoreSendsInOrder(t *testing.T) {
	db := openDB(t)
	rdb := redisClient(t, testenv.Redis(t))
	mod := newModule(t, db, rdb)
	a, b, outsider := addUser(t, db), addUser(t, db), addUser(t, db)
	room := addRoom(t, db, a, b)
	ctx := t.Context()

	type sent struct {
		ref, user, room, clientID string
	}
	var cmds []sent
	for i := range 40 {
		s := sent{ref: fmt.Sprint(i), user: []string{a, b}[i%2], room: []string{room, messaging.GlobalRoomID}[i/2%2]}
		if i%5 == 0 {
			s.clientID = "c-" + s.ref
		}
		cmds = append(cmds, s)
	}
	cmds = append(cmds,
		sent{ref: "forbidden", user: outsider, room: room},
		sent{ref: "again", user: a, room: room, clientID: "c-0"}, // the repeat of command 0
	)
	for _, s := range cmds {
		data, _ := json.Marshal(messaging.SendMessageData{RoomID: s.room, Content: "m " + s.ref, ClientMsgID: s.clientID})
		cmd := messaging.Command{ID: s.ref, Type: messaging.CmdSendMessage, UserID: s.user, SessionID: "s", Reply: "chat:replies:t", Ref: s.ref, Data: data}
		if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: messaging.CommandStream, Values: cmd.Values()}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { _ = mod.RunCommands(runCtx, rdb, messaging.CommandOptions{Consumer: "api-t"}) })
	t.Cleanup(func() { cancel(); wg.Wait() })

	replies := map[string]messaging.Reply{}
	last := "0"
	for deadline := time.Now().Add(10 * time.Second); len(replies) < len(cmds) && time.Now().Before(deadline); {
		res, err := rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{"chat:replies:t", last}, Block: 200 * time.Millisecond}).Result()
		if err != nil && err != redis.Nil {
			t.Fatal(err)
		}
		for _, s := range res {
			for _, m := range s.Messages {
				r, err := messaging.ParseReply(m.Values)
				if err != nil {
					t.Fatal(err)
				}
				replies[r.Ref], last = r, m.ID
			}
		}
	}
	if len(replies) != len(cmds) {
		t.Fatalf("%d replies, want %d", len(replies), len(cmds))
	}
	lastSeq := map[[2]string]int64{} // (user, room) -> seq of the previous ack
	acks := map[string]messaging.SendAck{}
	for _, s := range cmds[:40] {
		var ack messaging.SendAck
		if r := replies[s.ref]; !r.OK || json.Unmarshal(r.Data, &ack) != nil {
			t.Fatalf("send %s reply = %+v (%s)", s.ref, r, r.Data)
		}
		k := [2]string{s.user, s.room}
		if ack.Seq <= lastSeq[k] {
			t.Errorf("send %s got seq %d after %d: out of order", s.ref, ack.Seq, lastSeq[k])
		}
		lastSeq[k], acks[s.ref] = ack.Seq, ack
	}
	if e := replies["forbidden"].Err(); e == nil || e.Code != messaging.CodeNotFound {
		t.Errorf("outsider's send = %+v, want not_found", e)
	}
	var again messaging.SendAck
	if r := replies["again"]; !r.OK || json.Unmarshal(r.Data, &again) != nil || !reflect.DeepEqual(again, acks["0"]) {
		t.Errorf("repeated clientMsgId ack = %s, want %+v", r.Data, acks["0"])
	}
	for _, r := range []string{room, messaging.GlobalRoomID} {
		p, err := mod.History(ctx, a, r, messaging.HistoryQuery{Ascending: true, Limit: 100})
		if err != nil || len(p.Items) != 20 || p.Items[0].Seq != 1 || p.Items[19].Seq != 20 {
			t.Errorf("room %s holds %d messages (%v), want seqs 1..20", r, len(p.Items), err)
		}
	}
}
