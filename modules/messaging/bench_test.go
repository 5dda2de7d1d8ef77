package messaging_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/modules/messaging"
	"github.com/chatforge/chat/platform/testenv"
)

// BenchmarkSendMessage stores messages through the use case against the
// real PostgreSQL (the whole path: validation, access check, seq under the
// room lock, insert, read pointer, outbox row, commit). The relay is not
// running, so Redis is out of the measurement.
func BenchmarkSendMessage(b *testing.B) {
	db := openDB(b)
	mod := newModule(b, db, redisClient(b, testenv.Redis(b)))
	users := make([]string, 16)
	rooms := make([]string, 16)
	for i := range users {
		users[i] = addUser(b, db)
		rooms[i] = addRoom(b, db, users[i])
	}
	report := func(b *testing.B) {
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	}

	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			if _, err := mod.SendMessage(b.Context(), users[0], messaging.SendInput{RoomID: rooms[0], Content: "benchmark message"}); err != nil {
				b.Fatal(err)
			}
		}
		report(b)
	})
	// Senders of one room queue on its row lock: the per-room ceiling.
	b.Run("parallel-one-room", func(b *testing.B) {
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := mod.SendMessage(b.Context(), users[0], messaging.SendInput{RoomID: rooms[0], Content: "benchmark message"}); err != nil {
					b.Fatal(err)
				}
			}
		})
		report(b)
	})
	// Senders of different rooms do not wait for one another.
	b.Run("parallel-many-rooms", func(b *testing.B) {
		b.SetParallelism(4)
		var next atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			i := int(next.Add(1)-1) % len(rooms)
			for pb.Next() {
				if _, err := mod.SendMessage(b.Context(), users[i], messaging.SendInput{RoomID: rooms[i], Content: "benchmark message"}); err != nil {
					b.Fatal(err)
				}
			}
		})
		report(b)
	})
}

// BenchmarkHistoryPage reads random pages of 50 from a room of 100,000
// messages: a range scan of the (room_id, seq) index whatever the depth.
func BenchmarkHistoryPage(b *testing.B) {
	db := openDB(b)
	mod := newModule(b, db, redisClient(b, testenv.Redis(b)))
	u := addUser(b, db)
	room := addRoom(b, db, u)
	const n = 100_000
	if err := db.Exec(`INSERT INTO messages (id, room_id, seq, rev, user_id, content, created_at)
		SELECT gen_random_uuid(), ?, s, s, ?, 'message number ' || s, now() FROM generate_series(1, ?) s`, room, u, n).Error; err != nil {
		b.Fatal(err)
	}
	if err := db.Exec(`UPDATE rooms SET last_seq = ?, rev = ? WHERE id = ?`, n, n, room).Error; err != nil {
		b.Fatal(err)
	}
	if err := db.Exec(`ANALYZE messages`).Error; err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		p, err := mod.History(b.Context(), u, room, messaging.HistoryQuery{Before: 51 + rand.Int64N(n-50), Limit: 50})
		if err != nil || len(p.Items) != 50 {
			b.Fatalf("page of %d: %v", len(p.Items), err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
}

// BenchmarkSendMessagesBatch stores batches of 1, 10 and 100 messages
// through SendMessages (one transaction each: validation, one access
// query, rooms locked in id order, multi-row inserts, one commit), spread
// over 16 rooms with one sender each, as a busy api's command consumer
// does. "parallel" runs two batchers at once (two api instances, or the
// consumer and REST), over the same rooms.
func BenchmarkSendMessagesBatch(b *testing.B) {
	db := openDB(b)
	mod := newModule(b, db, redisClient(b, testenv.Redis(b)))
	users := make([]string, 16)
	rooms := make([]string, 16)
	for i := range users {
		users[i] = addUser(b, db)
		rooms[i] = addRoom(b, db, users[i])
	}
	batch := func(size, offset int) []messaging.SendRequest {
		reqs := make([]messaging.SendRequest, size)
		for i := range reqs {
			r := (i + offset) % len(rooms)
			reqs[i] = messaging.SendRequest{UserID: users[r], Input: messaging.SendInput{RoomID: rooms[r], Content: "benchmark message"}}
		}
		return reqs
	}
	run := func(b *testing.B, reqs []messaging.SendRequest) {
		for _, r := range mod.SendMessages(b.Context(), reqs) {
			if r.Err != nil || !r.Created {
				b.Fatal(r.Err)
			}
		}
	}
	for _, size := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("size-%d", size), func(b *testing.B) {
			reqs := batch(size, 0)
			for b.Loop() {
				run(b, reqs)
			}
			b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
	b.Run("parallel-size-100", func(b *testing.B) {
		b.SetParallelism(1) // GOMAXPROCS (2) batchers
		var next atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			reqs := batch(100, int(next.Add(1)))
			for pb.Next() {
				run(b, reqs)
			}
		})
		b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "msgs/s")
	})
}

// BenchmarkCommandSends drains a backlog of send-message commands through
// the command consumer (RunCommands: XREADGROUP of up to 100, the sends of
// a read stored in one transaction, replies and XACKs pipelined), from
// first read to last reply: the socket path's ceiling on one api.
func BenchmarkCommandSends(b *testing.B) {
	db := openDB(b)
	rdb := redisClient(b, testenv.Redis(b))
	mod := newModule(b, db, rdb)
	users := make([]string, 16)
	rooms := make([]string, 16)
	for i := range users {
		users[i] = addUser(b, db)
		rooms[i] = addRoom(b, db, users[i])
	}
	for b.Loop() {
		b.StopTimer()
		const reply = "chat:replies:bench"
		if err := rdb.Del(b.Context(), reply).Err(); err != nil {
			b.Fatal(err)
		}
		pipe := rdb.Pipeline()
		for i := range 2000 {
			r := i % len(rooms)
			data, _ := json.Marshal(messaging.SendMessageData{RoomID: rooms[r], Content: "benchmark message"})
			cmd := messaging.Command{ID: fmt.Sprint(i), Type: messaging.CmdSendMessage, UserID: users[r], SessionID: "s", Reply: reply, Ref: fmt.Sprint(i), Data: data}
			pipe.XAdd(b.Context(), &redis.XAddArgs{Stream: messaging.CommandStream, Values: cmd.Values()})
		}
		if _, err := pipe.Exec(b.Context()); err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(b.Context())
		done := make(chan struct{})
		b.StartTimer()
		go func() { _ = mod.RunCommands(ctx, rdb, messaging.CommandOptions{Consumer: "bench"}); close(done) }()
		for rdb.XLen(b.Context(), reply).Val() < 2000 {
			time.Sleep(time.Millisecond)
		}
		b.StopTimer()
		cancel()
		<-done
		b.StartTimer()
	}
	b.ReportMetric(float64(b.N*2000)/b.Elapsed().Seconds(), "msgs/s")
}
