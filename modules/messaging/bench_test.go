package messaging_test

import (
	"math/rand/v2"
	"sync/atomic"
	"testing"

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
	if err := db.Exec(`INSERT INTO messages (id, room_id, seq, user_id, content, created_at)
		SELECT gen_random_uuid(), ?, s, ?, 'message number ' || s, now() FROM generate_series(1, ?) s`, room, u, n).Error; err != nil {
		b.Fatal(err)
	}
	if err := db.Exec(`UPDATE rooms SET last_seq = ? WHERE id = ?`, n, room).Error; err != nil {
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
