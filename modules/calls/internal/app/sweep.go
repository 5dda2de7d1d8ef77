package app

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/chatforge/chat/modules/calls/internal/domain"
	"github.com/chatforge/chat/modules/calls/signal"
)

// sweepBatch is how many calls one sweep step handles.
const sweepBatch = 100

// recordGrace is how long after its end a call's history entry is left to
// the process that ended it before the sweep posts it.
const recordGrace = 10 * time.Second

// Sweep ends the calls whose ring timed out (call-ended "missed" to every
// device rung and to the caller's) and the connected calls older than
// CALL_MAX_DURATION (call-ended "hangup"), and posts the history entries left
// unposted (by a process that died after ending a call). Any api instance
// may run it at any time: the store hands each expired call to one.
func (a *App) Sweep(ctx context.Context) error {
	now := a.now().UTC()
	due, err := a.p.Store.ExpireDue(ctx, now, sweepBatch)
	if err != nil {
		return err
	}
	for _, c := range due {
		s := signalOf(signal.EventEnded, ended{CallID: c.ID, RoomID: c.RoomID, Reason: domain.ReasonMissed})
		s.Users, s.Sessions = c.Invitees, []string{c.CallerSession}
		a.publish(ctx, s)
		a.record(ctx, c)
	}
	stale, err := a.p.Store.EndStale(ctx, now.Add(-a.maxDuration), now, sweepBatch)
	if err != nil {
		return err
	}
	for _, c := range stale {
		s := signalOf(signal.EventEnded, ended{CallID: c.ID, RoomID: c.RoomID, Reason: domain.ReasonHangup})
		s.Sessions = []string{c.CallerSession, c.AnswererSession}
		a.publish(ctx, s)
		a.record(ctx, c)
	}
	left, err := a.p.Store.Unrecorded(ctx, now.Add(-recordGrace), sweepBatch)
	if err != nil {
		return err
	}
	for _, c := range left {
		a.record(ctx, c)
	}
	return nil
}

// Record is the "call" object of a call's history entry.
type Record struct {
	CallID     string `json:"callId"`
	Media      string `json:"media"`
	Status     string `json:"status"`
	StartedAt  string `json:"startedAt"`
	AnsweredAt string `json:"answeredAt,omitempty"`
	EndedAt    string `json:"endedAt"`
	DurationMs int64  `json:"durationMs"`
}

// timeFormat is how timestamps travel (as messages': RFC 3339, ms, UTC).
const timeFormat = "2006-01-02T15:04:05.000Z07:00"

// RecordOf is the history record of an ended call.
func RecordOf(c domain.Call) Record {
	// Whole milliseconds, as the stamps are written: durationMs is exactly
	// endedAt - answeredAt for a client that subtracts them.
	c.AnsweredAt, c.EndedAt = c.AnsweredAt.Truncate(time.Millisecond), c.EndedAt.Truncate(time.Millisecond)
	r := Record{CallID: c.ID, Media: c.Media, Status: string(c.Outcome), StartedAt: c.CreatedAt.UTC().Format(timeFormat),
		EndedAt: c.EndedAt.UTC().Format(timeFormat), DurationMs: c.Duration().Milliseconds()}
	if !c.AnsweredAt.IsZero() {
		r.AnsweredAt = c.AnsweredAt.UTC().Format(timeFormat)
	}
	return r
}

// record posts an ended call's history entry and notes it; a failure is
// left to the sweep.
func (a *App) record(ctx context.Context, c domain.Call) {
	b, _ := json.Marshal(RecordOf(c))
	err := a.p.History.RecordCall(ctx, c.CallerID, c.RoomID, "call:"+c.ID, b)
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		a.log.WarnContext(ctx, "call history entry not posted; the sweep retries", "call", c.ID, "err", err)
		return
	}
	if err := a.p.Store.MarkRecorded(ctx, c.ID, a.now().UTC()); err != nil {
		a.log.WarnContext(ctx, "call history entry not marked", "call", c.ID, "err", err)
	}
}
