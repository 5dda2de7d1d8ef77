// Package app holds the call use cases: invite, answer, ICE relay, hang-up
// and the sweep (ring timeouts, history entries left to post). Each speaks
// through the ports declared here.
package app

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/chatforge/chat/modules/calls/internal/domain"
	"github.com/chatforge/chat/modules/calls/signal"
)

// Store keeps calls. Every method that changes a call is one conditional
// update: it changes nothing (and says so) when the call is not in the
// state it expects, so concurrent commands and sweeps cannot both win.
type Store interface {
	// Create inserts c; when its id exists, it returns the stored call and
	// created false.
	Create(ctx context.Context, c domain.Call) (stored domain.Call, created bool, err error)
	// Get returns a call, domain.ErrNotFound when there is none.
	Get(ctx context.Context, id string) (domain.Call, error)
	// Busy returns which of users are a party of an active call.
	Busy(ctx context.Context, users []string) ([]string, error)
	// Answer makes a ringing call active, answered by user (an invitee who
	// has not declined) on session; ok false when it was not ringing or
	// user may not answer it. ice is what the caller buffered.
	Answer(ctx context.Context, id, user, session string, now time.Time) (c domain.Call, ice []json.RawMessage, ok bool, err error)
	// BufferICE appends candidate to a ringing call's caller candidates when
	// session is the caller's and fewer than domain.MaxBufferedICE are
	// buffered; ok false otherwise.
	BufferICE(ctx context.Context, id, session string, candidate json.RawMessage) (ok bool, err error)
	// Decline records that user declined a ringing call.
	Decline(ctx context.Context, id, user string) (c domain.Call, ok bool, err error)
	// End ends a call that is in state from, with outcome.
	End(ctx context.Context, id string, from domain.State, outcome domain.Outcome, now time.Time) (c domain.Call, ok bool, err error)
	// ExpireDue ends up to limit ringing calls whose deadline is not after
	// now, as missed, and returns them.
	ExpireDue(ctx context.Context, now time.Time, limit int) ([]domain.Call, error)
	// EndStale ends up to limit active calls answered before answeredBefore
	// (completed) and returns them.
	EndStale(ctx context.Context, answeredBefore, now time.Time, limit int) ([]domain.Call, error)
	// Unrecorded returns up to limit calls ended before before whose
	// history entry is not posted yet.
	Unrecorded(ctx context.Context, before time.Time, limit int) ([]domain.Call, error)
	// MarkRecorded notes that the call's history entry exists.
	MarkRecorded(ctx context.Context, id string, now time.Time) error
}

// Rooms tells who may take part in a call.
type Rooms interface {
	// MemberIDs lists the room's members (at most max+1) once user may
	// post there; domain.ErrNotFound or domain.ErrForbidden otherwise.
	MemberIDs(ctx context.Context, user, room string, max int) ([]string, error)
}

// History posts the entry a call leaves in its room.
type History interface {
	// RecordCall posts record as callerID's call message in room,
	// idempotent on key; domain.ErrNotFound when the caller left the room.
	RecordCall(ctx context.Context, callerID, room, key string, record []byte) error
}

// Signals delivers frames to sockets (through every gateway).
type Signals interface {
	Publish(ctx context.Context, s ...signal.Signal) error
}

// Ports are the app's dependencies.
type Ports struct {
	Store   Store
	Rooms   Rooms
	History History
	Signals Signals
}

// Options tune the app.
type Options struct {
	RingTimeout time.Duration // CALL_RING_TIMEOUT
	MaxDuration time.Duration // CALL_MAX_DURATION
	Now         func() time.Time
	Log         *slog.Logger
}

// App runs the call use cases.
type App struct {
	p           Ports
	ringTimeout time.Duration
	maxDuration time.Duration
	now         func() time.Time
	log         *slog.Logger
}

// New returns the app.
func New(p Ports, o Options) *App {
	return &App{p: p, ringTimeout: o.RingTimeout, maxDuration: o.MaxDuration, now: o.Now, log: o.Log}
}

// signalOf builds a signal whose data is v (always encodable).
func signalOf(event string, v any) signal.Signal {
	b, _ := json.Marshal(v)
	return signal.Signal{Event: event, Data: b}
}

// ended is the data of call-ended.
type ended struct {
	CallID     string `json:"callId"`
	RoomID     string `json:"roomId"`
	Reason     string `json:"reason"`
	AnsweredBy string `json:"answeredBy,omitempty"`
}

// publish sends signals, logging a failure: signaling is best effort once
// the state changed (the ring timeout and hang-ups settle every call).
func (a *App) publish(ctx context.Context, s ...signal.Signal) {
	if err := a.p.Signals.Publish(ctx, s...); err != nil {
		a.log.WarnContext(ctx, "call signal not published", "event", s[0].Event, "err", err)
	}
}

// Ack is what every call command answers: the call and, for call-invite,
// its status ("ringing", or "busy" when every member was in another call).
type Ack struct {
	CallID string `json:"callId"`
	RoomID string `json:"roomId,omitempty"`
	Status string `json:"status,omitempty"`
}
