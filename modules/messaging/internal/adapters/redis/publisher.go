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
// records of a Publish in one MULTI/EXEC per hash slot: all of a slot's or
// none (a plain pipeline could fail one XADD, e.g. on OOM, and run the
// later ones, and the retry would then append the failed one after them:
// out of order). On one Redis every partition stream is in one
// transaction; on a Redis Cluster, whose partitions' hash tags put them in
// different slots, each slot's transaction is sent at once, concurrently
// (order matters only within a room, hence within a stream). It is safe
// for concurrent use, though the relay calls it from one goroutine.
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
		wg.Go(func() {
			_, errs[gi] = p.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
				for _, i := range g {
					r := recs[i]
					pipe.XAdd(ctx, &redis.XAddArgs{
						Stream: keys[i],
						MaxLen: p.maxLen,
						Approx: true,
						Values: wire.EventValues(r.EventID, string(r.Type), r.RoomID, r.Data, r.At, r.Trace),
					})
				}
				return nil
			})
		})
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
