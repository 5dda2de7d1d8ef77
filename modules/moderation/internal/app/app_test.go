package app

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatforge/chat/modules/moderation/internal/domain"
)

type memCounter struct {
	mu sync.Mutex
	n  map[string]int64
}

func (c *memCounter) Incr(_ context.Context, key string, _ time.Duration) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int64{}
	}
	c.n[key]++
	return c.n[key], nil
}

type fakeChat struct{ hidden, reported map[string]string }

func (f *fakeChat) HideMessage(_ context.Context, id, reason string) error {
	f.hidden[id] = reason
	return nil
}

func (f *fakeChat) OpenReport(_ context.Context, id, reason string) error {
	f.reported[id] = reason
	return nil
}

type failing struct{ calls int }

func (f *failing) Classify(context.Context, domain.Input) (domain.Verdict, error) {
	f.calls++
	return domain.Verdict{}, errors.New("service down")
}

type flagAll struct{}

func (flagAll) Classify(context.Context, domain.Input) (domain.Verdict, error) {
	return domain.Verdict{Flagged: true, Reason: "remote"}, nil
}

func TestBuiltinRules(t *testing.T) {
	b := NewBuiltin(Rules{Words: domain.ParseWords("spam"), MaxLinks: 2, FloodMax: 3, FloodWindow: time.Minute,
		RepeatMax: 1, RepeatWindow: time.Minute}, &memCounter{})
	in := func(user, text string) domain.Input { return domain.Input{RoomID: "r", UserID: user, Content: text} }
	for _, c := range []struct {
		in   domain.Input
		want string // reason substring; "" for clean
	}{
		{in("u", "S.P.A.M"), "blocked word"},
		{in("u", "http://a.example http://b.example https://c.example"), "link spam"},
		{in("v", "hello"), ""},
		{in("v", "Hello!"), "repeated content"}, // same words as "hello"
		{in("w", "one"), ""},
		{in("w", "two"), ""},
		{in("w", "three"), ""},
		{in("w", "four"), "flooding"},
		{in("x", "four"), ""}, // counters are per user
	} {
		v, err := b.Classify(t.Context(), c.in)
		if err != nil || v.Flagged != (c.want != "") || !strings.Contains(v.Reason, c.want) {
			t.Errorf("%+v: verdict %+v err %v, want %q", c.in, v, err, c.want)
		}
	}
}

func TestModeratorFailsOpenAndActsOnFirstFlag(t *testing.T) {
	chat := &fakeChat{hidden: map[string]string{}, reported: map[string]string{}}
	down := &failing{}
	m := NewModerator(chat, slog.New(slog.DiscardHandler), down)
	out, err := m.Moderate(t.Context(), domain.Input{MessageID: "m1", Content: "hi"})
	if err != nil || out != OutcomeFailed || len(chat.hidden) != 0 {
		t.Fatalf("outcome %s err %v hidden %v: want let through", out, err, chat.hidden)
	}
	m = NewModerator(chat, slog.New(slog.DiscardHandler), down, flagAll{})
	out, err = m.Moderate(t.Context(), domain.Input{MessageID: "m2", Content: "hi"})
	if err != nil || out != OutcomeFlagged || chat.hidden["m2"] != "remote" || chat.reported["m2"] != "remote" {
		t.Fatalf("outcome %s err %v hidden %v reported %v", out, err, chat.hidden, chat.reported)
	}
}
