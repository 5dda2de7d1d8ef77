package streams

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/modules/messaging/wire"
	"github.com/chatforge/chat/platform/redisconn"
)

// Entry is one event of an event stream, undecoded: the gateway forwards a
// message's data to sockets as is.
type Entry struct {
	StreamID string // Redis entry id (its milliseconds give the stream lag)
	ID       string // event id (duplicates possible: at-least-once relay)
	Type     string
	Room     string
	Data     string
	At       time.Time // when the api recorded the change (field "at"), zero if absent
	Trace    string    // W3C traceparent of the relay's span (field "traceparent"), "" if absent
}

// Time is when the entry was added to the stream.
func (e Entry) Time() time.Time {
	ms, _, _ := strings.Cut(e.StreamID, "-")
	n, _ := strconv.ParseInt(ms, 10, 64)
	return time.UnixMilli(n)
}

// EventReader reads every partition of the event streams, without a
// consumer group: every gateway needs every event. On one Redis, one
// goroutine reads all partitions in one blocking XREAD. On a Redis
// Cluster, where one XREAD may only name streams of one hash slot, one
// goroutine per slot reads its partitions. Either way the handler is
// called for one entry at a time (never concurrently), in stream order,
// which per room is seq order (a room is in one partition).
type EventReader struct {
	rdb    redis.UniversalClient
	log    *slog.Logger
	groups [][]string // streams read by one XREAD each
	handle func(Entry)
	hmu    sync.Mutex // serializes handle across the groups' goroutines

	reading atomic.Int32 // groups whose last read succeeded
	started atomic.Int32 // groups that fixed their start
}

// NewEventReader returns a reader of the partitions' streams calling handle
// for each entry, one at a time.
func NewEventReader(rdb redis.UniversalClient, partitions int, handle func(Entry), log *slog.Logger) *EventReader {
	keys := wire.StreamKeys(partitions)
	var groups [][]string
	for _, g := range redisconn.SlotGroups(rdb, keys) {
		streams := make([]string, len(g))
		for i, k := range g {
			streams[i] = keys[k]
		}
		groups = append(groups, streams)
	}
	return &EventReader{rdb: rdb, log: log, groups: groups, handle: handle}
}

// Ready reports whether the reader is connected and reading every stream.
func (r *EventReader) Ready() bool { return int(r.reading.Load()) == len(r.groups) }

// Started reports whether the reader has fixed its start in every stream:
// from then on no event is skipped (Run continues from the last id seen,
// across errors), so a socket may join rooms.
func (r *EventReader) Started() bool { return int(r.started.Load()) == len(r.groups) }

// Run reads until ctx is done. It starts after the newest entry of each
// stream (events before the gateway started concern no socket of it) and
// then continues from the last id it saw, also across Redis errors and
// reconnects, so no event is skipped. (An outage longer than the stream's
// MAXLEN covers would lose the trimmed entries; clients resume with
// lastSeq after any reconnect, which covers it.)
func (r *EventReader) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, streams := range r.groups {
		wg.Go(func() { r.run(ctx, streams) })
	}
	wg.Wait()
	return nil
}

// run reads one group of streams (one hash slot on a cluster).
func (r *EventReader) run(ctx context.Context, streams []string) {
	ids, err := r.startIDs(ctx, streams)
	if err != nil {
		return // ctx done
	}
	r.started.Add(1)
	reading := true // startIDs reached Redis
	r.reading.Add(1)
	defer func() {
		if reading {
			r.reading.Add(-1)
		}
	}()
	args := make([]string, 0, 2*len(streams))
	var b backoff
	for ctx.Err() == nil {
		args = append(append(args[:0], streams...), ids...)
		res, err := r.rdb.XRead(ctx, &redis.XReadArgs{Streams: args, Count: 512, Block: time.Second}).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			if reading {
				reading = false
				r.reading.Add(-1)
			}
			if ctx.Err() == nil {
				r.log.WarnContext(ctx, "event stream read failed", "streams", streams, "err", err)
				b.wait(ctx)
			}
			continue
		}
		if !reading {
			reading = true
			r.reading.Add(1)
		}
		b.reset()
		if len(res) == 0 {
			continue
		}
		r.hmu.Lock()
		for _, s := range res {
			i := index(streams, s.Stream)
			for _, m := range s.Messages {
				ids[i] = m.ID
				r.handle(Entry{StreamID: m.ID, ID: str(m.Values["id"]), Type: str(m.Values["type"]),
					Room: str(m.Values["room"]), Data: str(m.Values["data"]), At: wire.ParseMicros(str(m.Values["at"])),
					Trace: str(m.Values[wire.FieldTrace])})
			}
		}
		r.hmu.Unlock()
	}
}

// startIDs reads the newest id of every stream ("0-0" for an empty one),
// retrying until Redis answers or ctx ends. Concrete ids instead of "$":
// with "$" an entry added between two XREADs would be missed.
func (r *EventReader) startIDs(ctx context.Context, streams []string) ([]string, error) {
	var b backoff
	for {
		ids := make([]string, len(streams))
		var err error
		for i, s := range streams {
			var msgs []redis.XMessage
			msgs, err = r.rdb.XRevRangeN(ctx, s, "+", "-", 1).Result()
			if err != nil {
				break
			}
			ids[i] = "0-0"
			if len(msgs) > 0 {
				ids[i] = msgs[0].ID
			}
		}
		if err == nil {
			return ids, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		r.log.WarnContext(ctx, "event streams unreachable", "err", err)
		b.wait(ctx)
	}
}

func index(streams []string, stream string) int {
	for i, s := range streams {
		if s == stream {
			return i
		}
	}
	return 0
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
