package app

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chatforge/chat/modules/calls/internal/domain"
	"github.com/chatforge/chat/modules/calls/signal"
)

// memStore is an in-memory Store with the same conditional transitions
// as the PostgreSQL one (whose races are tested against PostgreSQL).
type memStore struct {
	mu       sync.Mutex
	calls    map[string]*domain.Call
	ice      map[string][]json.RawMessage
	recorded map[string]bool
}

func newMemStore() *memStore {
	return &memStore{calls: map[string]*domain.Call{}, ice: map[string][]json.RawMessage{}, recorded: map[string]bool{}}
}

func (m *memStore) Create(_ context.Context, c domain.Call) (domain.Call, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.calls[c.ID]; ok {
		return *old, false, nil
	}
	m.calls[c.ID] = &c
	return c, true, nil
}

func (m *memStore) Get(_ context.Context, id string) (domain.Call, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := m.calls[id]; ok {
		return *c, nil
	}
	return domain.Call{}, domain.ErrNotFound
}

func (m *memStore) Busy(_ context.Context, users []string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, c := range m.calls {
		for _, u := range users {
			if c.State == domain.Active && (c.CallerID == u || c.AnsweredBy == u) {
				out = append(out, u)
			}
		}
	}
	return out, nil
}

func (m *memStore) Answer(_ context.Context, id, user, session string, now time.Time) (domain.Call, []json.RawMessage, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.calls[id]
	if !ok || c.State != domain.Ringing || !c.Invited(user) || slices.Contains(c.Declined, user) {
		return domain.Call{}, nil, false, nil
	}
	c.State, c.AnsweredBy, c.AnswererSession, c.AnsweredAt = domain.Active, user, session, now
	ice := m.ice[id]
	delete(m.ice, id)
	return *c, ice, true, nil
}

func (m *memStore) BufferICE(_ context.Context, id, session string, cand json.RawMessage) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.calls[id]
	if !ok || c.State != domain.Ringing || c.CallerSession != session || len(m.ice[id]) >= domain.MaxBufferedICE {
		return false, nil
	}
	m.ice[id] = append(m.ice[id], cand)
	return true, nil
}

func (m *memStore) Decline(_ context.Context, id, user string) (domain.Call, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.calls[id]
	if !ok || c.State != domain.Ringing || !c.Invited(user) {
		return domain.Call{}, false, nil
	}
	if !slices.Contains(c.Declined, user) {
		c.Declined = append(c.Declined, user)
	}
	return *c, true, nil
}

func (m *memStore) End(_ context.Context, id string, from domain.State, o domain.Outcome, now time.Time) (domain.Call, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.calls[id]
	if !ok || c.State != from {
		return domain.Call{}, false, nil
	}
	c.State, c.Outcome, c.EndedAt = domain.Ended, o, now
	return *c, true, nil
}

func (m *memStore) ExpireDue(_ context.Context, now time.Time, _ int) ([]domain.Call, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []domain.Call
	for _, c := range m.calls {
		if c.State == domain.Ringing && !c.RingDeadline.After(now) {
			c.State, c.Outcome, c.EndedAt = domain.Ended, domain.Missed, now
			out = append(out, *c)
		}
	}
	return out, nil
}

func (m *memStore) EndStale(context.Context, time.Time, time.Time, int) ([]domain.Call, error) {
	return nil, nil
}

func (m *memStore) Unrecorded(_ context.Context, before time.Time, _ int) ([]domain.Call, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []domain.Call
	for id, c := range m.calls {
		if c.State == domain.Ended && !m.recorded[id] && c.EndedAt.Before(before) {
			out = append(out, *c)
		}
	}
	return out, nil
}

func (m *memStore) MarkRecorded(_ context.Context, id string, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.recorded[id] = true
	return nil
}

type fakeRooms map[string][]string // room -> members

func (r fakeRooms) MemberIDs(_ context.Context, user, room string, _ int) ([]string, error) {
	if !slices.Contains(r[room], user) {
		return nil, domain.ErrNotFound
	}
	return slices.Clone(r[room]), nil
}

type fakeHistory struct {
	mu      sync.Mutex
	fail    bool
	entries map[string][]byte // key -> record
}

func (h *fakeHistory) RecordCall(_ context.Context, _, _, key string, record []byte) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fail {
		return errors.New("database down")
	}
	if _, ok := h.entries[key]; !ok {
		h.entries[key] = record
	}
	return nil
}

type fakeSignals struct {
	mu  sync.Mutex
	out []signal.Signal
}

func (f *fakeSignals) Publish(_ context.Context, s ...signal.Signal) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.out = append(f.out, s...)
	return nil
}

// take returns and forgets what was published.
func (f *fakeSignals) take() []signal.Signal {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.out
	f.out = nil
	return out
}

type rig struct {
	app     *App
	store   *memStore
	history *fakeHistory
	signals *fakeSignals
	now     time.Time
}

func newRig(rooms fakeRooms) *rig {
	r := &rig{store: newMemStore(), history: &fakeHistory{entries: map[string][]byte{}}, signals: &fakeSignals{},
		now: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)}
	r.app = New(Ports{Store: r.store, Rooms: rooms, History: r.history, Signals: r.signals},
		Options{RingTimeout: 30 * time.Second, MaxDuration: time.Hour, Now: func() time.Time { return r.now }, Log: slog.New(slog.DiscardHandler)})
	return r
}

func reasonOf(t *testing.T, s signal.Signal) string {
	t.Helper()
	var e struct{ Reason string }
	if err := json.Unmarshal(s.Data, &e); err != nil {
		t.Fatal(err)
	}
	return e.Reason
}

// In a group room one decline stops that member's devices only; the call
// ends as declined once every member rung declined.
func TestDeclineInAGroup(t *testing.T) {
	ctx := context.Background()
	r := newRig(fakeRooms{"room": {"a", "b", "c"}})
	if ack, err := r.app.Invite(ctx, "a", "sa", Invite{CallID: "call", RoomID: "room", Media: domain.Audio, SDP: "o"}); err != nil || ack.Status != "ringing" {
		t.Fatalf("invite %+v %v", ack, err)
	}
	if s := r.signals.take(); len(s) != 1 || s[0].Event != signal.EventIncoming || !slices.Equal(s[0].Users, []string{"b", "c"}) {
		t.Fatalf("incoming %+v", s)
	}
	if _, err := r.app.Hangup(ctx, "b", "sb", "call"); err != nil {
		t.Fatal(err)
	}
	s := r.signals.take()
	if len(s) != 1 || reasonOf(t, s[0]) != domain.ReasonDeclined || !slices.Equal(s[0].Users, []string{"b"}) || !slices.Equal(s[0].Except, []string{"sb"}) {
		t.Fatalf("after b declined: %+v", s)
	}
	if c, _ := r.store.Get(ctx, "call"); c.State != domain.Ringing {
		t.Fatalf("call %s after one of two declined", c.State)
	}
	if _, err := r.app.Hangup(ctx, "c", "sc", "call"); err != nil {
		t.Fatal(err)
	}
	s = r.signals.take()
	if len(s) != 2 || reasonOf(t, s[1]) != domain.ReasonDeclined || !slices.Equal(s[1].Sessions, []string{"sa"}) {
		t.Fatalf("after all declined: %+v", s)
	}
	if _, err := r.app.Answer(ctx, "c", "sc2", Answer{CallID: "call", SDP: "x"}); !errors.Is(err, domain.ErrOver) {
		t.Fatalf("answer after the end: %v", err)
	}
	var rec Record
	if err := json.Unmarshal(r.history.entries["call:call"], &rec); err != nil || rec.Status != "declined" || rec.DurationMs != 0 {
		t.Fatalf("entry %+v %v", rec, err)
	}
}

// A history entry that could not be posted when the call ended is posted
// by a later sweep, once, and the ring timeout belongs to the sweep.
func TestSweepRetriesEntriesAndEndsMissedCalls(t *testing.T) {
	ctx := context.Background()
	r := newRig(fakeRooms{"room": {"a", "b"}})
	if _, err := r.app.Invite(ctx, "a", "sa", Invite{CallID: "call", RoomID: "room", Media: domain.Video, SDP: "o"}); err != nil {
		t.Fatal(err)
	}
	r.signals.take()
	r.history.fail = true
	r.now = r.now.Add(29 * time.Second)
	if err := r.app.Sweep(ctx); err != nil || len(r.signals.take()) != 0 {
		t.Fatalf("sweep before the ring timeout: %v", err)
	}
	r.now = r.now.Add(time.Second)
	if err := r.app.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	s := r.signals.take()
	if len(s) != 1 || reasonOf(t, s[0]) != domain.ReasonMissed || !slices.Equal(s[0].Users, []string{"b"}) || !slices.Equal(s[0].Sessions, []string{"sa"}) {
		t.Fatalf("missed: %+v", s)
	}
	if len(r.history.entries) != 0 {
		t.Fatal("entry posted while the history was down")
	}
	r.history.fail = false
	r.now = r.now.Add(recordGrace + time.Second)
	for range 2 {
		if err := r.app.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var rec Record
	if err := json.Unmarshal(r.history.entries["call:call"], &rec); err != nil || rec.Status != "missed" || rec.Media != "video" {
		t.Fatalf("entry %+v %v", rec, err)
	}
	if len(r.signals.take()) != 0 {
		t.Fatal("the retry announced the call again")
	}
}

// Only the caller's session buffers candidates before the answer; the
// answering device gets them, and then candidates go to the peer only.
func TestICEBeforeAndAfterTheAnswer(t *testing.T) {
	ctx := context.Background()
	r := newRig(fakeRooms{"room": {"a", "b"}})
	if _, err := r.app.Invite(ctx, "a", "sa", Invite{CallID: "call", RoomID: "room", Media: domain.Audio, SDP: "o"}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.app.RelayICE(ctx, "a", "sa", ICE{CallID: "call", Candidate: json.RawMessage(`{"c":1}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.app.RelayICE(ctx, "b", "sb", ICE{CallID: "call", Candidate: json.RawMessage(`"early"`)}); !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("callee candidate before answering: %v", err)
	}
	if _, err := r.app.RelayICE(ctx, "x", "sx", ICE{CallID: "call", Candidate: json.RawMessage(`1`)}); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("stranger: %v", err)
	}
	r.signals.take()
	if _, err := r.app.Answer(ctx, "b", "sb", Answer{CallID: "call", SDP: "ans"}); err != nil {
		t.Fatal(err)
	}
	s := r.signals.take()
	if len(s) != 3 || s[0].Event != signal.EventAnswered || s[2].Event != signal.EventICE || !slices.Equal(s[2].Sessions, []string{"sb"}) ||
		string(s[2].Data) != `{"callId":"call","candidate":{"c":1}}` {
		t.Fatalf("answer signals %+v", s)
	}
	if _, err := r.app.RelayICE(ctx, "b", "sb", ICE{CallID: "call", Candidate: json.RawMessage(`"b1"`)}); err != nil {
		t.Fatal(err)
	}
	if s := r.signals.take(); len(s) != 1 || !slices.Equal(s[0].Sessions, []string{"sa"}) {
		t.Fatalf("relay to the caller %+v", s)
	}
}
