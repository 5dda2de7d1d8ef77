// Package redis is the Redis adapter of the messaging module: it appends
// outbox records to the capped, partitioned event streams the gateways read.
package redis

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
	"github.com/chatforge/chat/modules/messaging/wire"
	"github.com/chatforge/chat/platform/redisconn"
	"github.com/chatforge/chat/platform/tracing"
)

// Publisher implements app.Publisher with one XADD per record, the
// records of a Publish in one script call per hash slot (appendScript). On
// one Redis every partition stream is in one call; on a Redis Cluster,
// whose partitions' hash tags put them in different slots, each slot's
// call is sent at once, concurrently (order matters only within a room,
// hence within a stream). It is safe for concurrent use: the relay and
// every committing send batch (app.DirectPublisher) publish through it.
//
// A message.created record (Seq > 0) is appended only in its room's seq
// order and only once, whoever publishes it: the committer right after its
// commit, the relay later from the outbox, or both. Two api processes
// committing seq 5 and 6 of a room may publish 6 first; the script then
// parks 6 until 5 arrives (from its committer, or from the relay if that
// one died), so every stream reader sees each room's messages in seq
// order, with no gap and no duplicate.
type Publisher struct {
	rdb    redis.UniversalClient
	key    func(roomID string) string
	maxLen int64
	trace  *tracing.Tracing // nil: off
	// suspect is set when a previous Publish may have appended part of its
	// batch before failing (some streams' transactions may have run), at
	// start and by Suspect (a previous relay, this one or another process,
	// may have published and not committed). The next Publish then skips
	// records whose event id is already in the stream's tail, so a retry
	// does not duplicate them.
	suspect atomic.Bool
}

// New returns a publisher writing to the stream key(roomID) of each record,
// capped at about maxLen entries (MAXLEN ~: trimming whole macro nodes is
// much cheaper than exact trimming).
func New(rdb redis.UniversalClient, key func(roomID string) string, maxLen int64) *Publisher {
	p := &Publisher{rdb: rdb, key: key, maxLen: maxLen}
	p.suspect.Store(true)
	return p
}

// Publish appends recs in order. Entry fields: id (event id), type, room,
// data (JSON), at (when it was recorded). On error nothing is known about which records were appended:
// the caller retries them all and the next call deduplicates.
func (p *Publisher) Publish(ctx context.Context, recs []domain.Record) error {
	if p.suspect.Load() {
		var err error
		if recs, err = p.unpublished(ctx, recs); err != nil {
			return err
		}
	}
	if len(recs) == 0 {
		p.suspect.Store(false)
		return nil
	}
	recs, spans := p.startSpans(ctx, recs)
	// One MULTI/EXEC for the whole batch, every stream's records in order:
	// one round trip per drain (a transaction per stream cost one each).
	// On a cluster, one per slot, sent concurrently.
	keys := make([]string, len(recs))
	for i, r := range recs {
		keys[i] = p.key(r.RoomID)
	}
	groups := redisconn.SlotGroups(p.rdb, keys)
	errs := make([]error, len(groups))
	var wg sync.WaitGroup
	for gi, g := range groups {
		// The relay publishes in commit order: a room new to the streams
		// starts at whatever seq comes first.
		wg.Go(func() { errs[gi] = p.append(ctx, recs, keys, g, func(r domain.Record) int64 { return r.Seq }, nil) })
	}
	wg.Wait()
	err := errors.Join(errs...)
	endSpans(spans, err)
	if err != nil {
		// Some slots' transactions may have run: the retry deduplicates.
		p.suspect.Store(true)
		return fmt.Errorf("xadd %d events: %w", len(recs), err)
	}
	p.suspect.Store(false)
	return nil
}

// PublishFresh implements app.FreshPublisher: it appends message.created
// records just committed (each with its Seq), as Publish does, and says
// what became of each. Unlike the relay, a committer cannot tell a room new
// to the streams (no seq key: first message, Redis restarted, idle past the
// key's TTL) from one whose earlier messages are not published yet: such a
// room takes only seq 1, or the seq starts[room] (the caller found the
// earliest one still unpublished); its other records come back
// UnknownRoom, untouched. No tail check: the seqs already drop duplicates.
func (p *Publisher) PublishFresh(ctx context.Context, recs []domain.Record, starts map[string]int64) ([]domain.Publication, error) {
	recs, spans := p.startSpans(ctx, recs)
	keys := make([]string, len(recs))
	for i, r := range recs {
		keys[i] = p.key(r.RoomID)
	}
	out := make([]domain.Publication, len(recs))
	start := func(r domain.Record) int64 { return starts[r.RoomID] }
	groups := redisconn.SlotGroups(p.rdb, keys)
	errs := make([]error, len(groups))
	var wg sync.WaitGroup
	for gi, g := range groups {
		wg.Go(func() { errs[gi] = p.append(ctx, recs, keys, g, start, out) })
	}
	wg.Wait()
	err := errors.Join(errs...)
	endSpans(spans, err)
	if err != nil {
		return nil, fmt.Errorf("xadd %d events: %w", len(recs), err)
	}
	return out, nil
}

// appendScript appends the entries of one hash slot, in order, and
// returns a domain.Publication per entry. KEYS holds three keys per entry:
// its stream, its room's published seq (a string) and its room's parked
// entries (a hash seq -> msgpack'd fields), all in the stream's slot (the
// stream's hash tag prefixes them). ARGV: MAXLEN, the TTLs in seconds of
// the seq and the park keys, then per entry its seq (0: not sequenced,
// appended as is), its start, its field count and its fields.
//
// A sequenced entry at or below the room's published seq is a duplicate
// and dropped; one beyond the next is parked; the next one is appended,
// followed by the parked ones it unblocks. A room with no seq key starts
// at the entry's start (the seq before it counts as published), or, with
// start 0, only at seq 1 (any other seq: unknown room, nothing done). The
// keys expire after their TTL without traffic, so an idle room costs
// nothing.
var appendScript = redis.NewScript(`
local maxlen, seqttl, parkttl, a = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), 4
local out = {}
local function add(stream, fields)
  redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', unpack(fields))
end
for i = 1, #KEYS, 3 do
  local stream, seqk, parkk = KEYS[i], KEYS[i+1], KEYS[i+2]
  local seq, start, n = tonumber(ARGV[a]), tonumber(ARGV[a+1]), tonumber(ARGV[a+2])
  local fields = {unpack(ARGV, a+3, a+2+n)}
  a = a + 3 + n
  local status = 0
  if seq == 0 then
    add(stream, fields)
  else
    local last = tonumber(redis.call('GET', seqk))
    if last == nil then
      if start > 0 then last = start - 1 elseif seq == 1 then last = 0 end
    end
    if last == nil then
      status = 3
    elseif seq == last + 1 then
      add(stream, fields)
      last = seq
      if redis.call('EXISTS', parkk) == 1 then
        redis.call('HDEL', parkk, seq) -- parked by a committer, brought by another
        while true do
          local p = redis.call('HGET', parkk, last + 1)
          if not p then break end
          redis.call('HDEL', parkk, last + 1)
          add(stream, cmsgpack.unpack(p))
          last = last + 1
        end
      end
      redis.call('SET', seqk, last, 'EX', seqttl)
    elseif seq > last + 1 then
      redis.call('HSET', parkk, seq, cmsgpack.pack(fields))
      redis.call('EXPIRE', parkk, parkttl)
      status = 2
    else
      status = 1
    end
  end
  out[#out + 1] = status
end
return out`)

// seqTTL is how long a room's published seq is kept without traffic.
// parkTTL bounds a parked entry, which normally waits at most for the
// relay's grace.
const (
	seqTTL  = 30 * 24 * time.Hour
	parkTTL = 24 * time.Hour
)

// append runs appendScript for the records g (indexes into recs, all of
// one slot, in order), each record starting its room at start(record) if
// the room is new to the streams, and writes what became of each to out
// (if not nil).
func (p *Publisher) append(ctx context.Context, recs []domain.Record, keys []string, g []int, start func(domain.Record) int64,
	out []domain.Publication) error {
	ks := make([]string, 0, 3*len(g))
	args := make([]any, 0, 3+13*len(g))
	args = append(args, p.maxLen, int64(seqTTL/time.Second), int64(parkTTL/time.Second))
	for _, i := range g {
		r := recs[i]
		if r.Seq > 0 {
			ks = append(ks, keys[i], keys[i]+":seq:"+r.RoomID, keys[i]+":park:"+r.RoomID)
		} else {
			ks = append(ks, keys[i], keys[i], keys[i])
		}
		v := wire.EventValues(r.EventID, string(r.Type), r.RoomID, r.Data, r.At, r.Trace)
		args = append(args, r.Seq, start(r), len(v))
		args = append(args, v...)
	}
	st, err := appendScript.Run(ctx, p.rdb, ks, args...).Int64Slice()
	if err != nil {
		return err
	}
	if out != nil {
		for k, i := range g {
			if k < len(st) {
				out[i] = domain.Publication(st[k])
			}
		}
	}
	return nil
}

// Suspect makes the next Publish check the stream tails first: records it
// is given may already be there (a drain that published and then failed
// to commit, or another relay's).
func (p *Publisher) Suspect() { p.suspect.Store(true) }

// unpublished drops the records already present in the tail of their
// stream. Only the records of a failed batch can be there, and they are the
// oldest pending ones, so a tail twice the batch size covers them.
func (p *Publisher) unpublished(ctx context.Context, recs []domain.Record) ([]domain.Record, error) {
	seen := map[string]bool{}
	checked := map[string]bool{}
	for _, r := range recs {
		key := p.key(r.RoomID)
		if checked[key] {
			continue
		}
		checked[key] = true
		tail, err := p.rdb.XRevRangeN(ctx, key, "+", "-", int64(2*len(recs))).Result()
		if err != nil {
			return nil, fmt.Errorf("read stream tail %s: %w", key, err)
		}
		for _, m := range tail {
			if id, ok := m.Values["id"].(string); ok {
				seen[id] = true
			}
		}
	}
	out := recs[:0:0]
	for _, r := range recs {
		if !seen[r.EventID] {
			out = append(out, r)
		}
	}
	return out, nil
}

// Traced makes the publisher trace (t nil: off): each record carrying a
// trace context gets a producer span in that trace (the outbox-to-stream
// hop), and its entry carries the span's context on to the gateways.
// Call it before the first Publish.
func (p *Publisher) Traced(t *tracing.Tracing) *Publisher {
	p.trace = t
	return p
}

// startSpans starts the spans of the traced records and returns the
// records to append, each carrying its span's context (a copy: the
// caller's records, retried after an error, keep their own). Off, or with
// no traced record, it returns recs itself and allocates nothing.
func (p *Publisher) startSpans(ctx context.Context, recs []domain.Record) ([]domain.Record, []trace.Span) {
	if !p.trace.Enabled() {
		return recs, nil
	}
	var (
		out   []domain.Record
		spans []trace.Span
	)
	for i, r := range recs {
		if r.Trace == "" {
			continue
		}
		if out == nil {
			out = slices.Clone(recs)
		}
		sctx, span := p.trace.StartRemote(ctx, "chat:events publish", r.Trace, tracing.Producer)
		span.SetAttributes(attribute.String("chat.event.id", r.EventID), attribute.String("chat.event.type", string(r.Type)),
			attribute.String("chat.room.id", r.RoomID))
		spans = append(spans, span)
		out[i].Trace = tracing.Traceparent(sctx)
	}
	if out == nil {
		return recs, nil
	}
	return out, spans
}

func endSpans(spans []trace.Span, err error) {
	for _, s := range spans {
		if err != nil {
			s.SetStatus(codes.Error, err.Error())
		}
		s.End()
	}
}
