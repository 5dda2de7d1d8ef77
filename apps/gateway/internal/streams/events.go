package streams

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/modules/messaging/wire"
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
// consumer group: every gateway needs every event. One goroutine reads all
// partitions in one blocking XREAD and calls the handler in stream order,
// which per room is seq order.
type EventReader struct {
	rdb     *redis.Client
	log     *slog.Logger
	streams []string
	handle  func(Entry)
	reading atomic.Bool
	started atomic.Bool
}

// NewEventReader returns a reader of the partitions' streams calling handle
// for each entry, from one goroutine.
func NewEventReader(rdb *redis.Client, partitions int, handle func(Entry), log *slog.Logger) *EventReader {
	return &EventReader{rdb: rdb, log: log, streams: wire.StreamKeys(partitions), handle: handle}
}

// Ready reports whether the reader is connected and reading.
func (r *EventReader) Ready() bool { return r.reading.Load() }

// Started reports whether the reader has fixed its start in every stream:
// from then on no event is skipped (Run continues from the last id seen,
// across errors), so a socket may join rooms.
func (r *EventReader) Started() bool { return r.started.Load() }

// Run reads until ctx is done. It starts after the newest entry of each
// stream (events before the gateway started concern no socket of it) and
// then continues from the last id it saw, also across Redis errors and
// reconnects, so no event is skipped. (An outage longer than the stream's
// MAXLEN covers would lose the trimmed entries; clients resume with
// lastSeq after any reconnect, which covers it.)
func (r *EventReader) Run(ctx context.Context) error {
	ids, err := r.startIDs(ctx)
	if err != nil {
		return nil // ctx done
	}
	r.started.Store(true)
	r.reading.Store(true) // startIDs reached Redis
	args := make([]string, 0, 2*len(r.streams))
	var b backoff
	for ctx.Err() == nil {
		args = append(append(args[:0], r.streams...), ids...)
		res, err := r.rdb.XRead(ctx, &redis.XReadArgs{Streams: args, Count: 512, Block: time.Second}).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			r.reading.Store(false)
			if ctx.Err() == nil {
				r.log.WarnContext(ctx, "event stream read failed", "err", err)
				b.wait(ctx)
			}
			continue
		}
		r.reading.Store(true)
		b.reset()
		for _, s := range res {
			i := r.index(s.Stream)
			for _, m := range s.Messages {
				ids[i] = m.ID
				r.handle(Entry{StreamID: m.ID, ID: str(m.Values["id"]), Type: str(m.Values["type"]),
					Room: str(m.Values["room"]), Data: str(m.Values["data"]), At: wire.ParseMicros(str(m.Values["at"])),
					Trace: str(m.Values[wire.FieldTrace])})
			}
		}
	}
	return nil
}

// startIDs reads the newest id of every stream ("0-0" for an empty one),
// retrying until Redis answers or ctx ends. Concrete ids instead of "$":
// with "$" an entry added between two XREADs would be missed.
func (r *EventReader) startIDs(ctx context.Context) ([]string, error) {
	var b backoff
	for {
		ids := make([]string, len(r.streams))
		var err error
		for i, s := range r.streams {
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

func (r *EventReader) index(stream string) int {
	for i, s := range r.streams {
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
