package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/chatforge/chat/modules/notify/internal/domain"
)

// Recipients picks who may get a push about a room's message: members with
// at least one subscription, the sender excluded.
type Recipients interface {
	PushRecipients(ctx context.Context, roomID, senderID string) ([]string, error)
}

// OnlineChecker tells which users have a live connection.
type OnlineChecker interface {
	Online(ctx context.Context, userIDs []string) (map[string]bool, error)
}

// PendingStore keeps, per (user, room), the newest message not pushed yet.
type PendingStore interface {
	Add(ctx context.Context, userID, roomID string, m domain.PendingMessage) error
}

// PushScheduler schedules the delivery of a (user, room) push at a time;
// scheduling the same (user, room, at) twice yields one delivery.
type PushScheduler interface {
	Schedule(ctx context.Context, userID, roomID string, at time.Time) error
}

// FanOut turns a stored message into scheduled pushes. Collapsing: every
// message of a room within one window of a recipient lands in one pending
// record and one delivery at the window's end, so a burst is one push.
type FanOut struct {
	recipients Recipients
	online     OnlineChecker
	pending    PendingStore
	scheduler  PushScheduler
	window     time.Duration
	now        func() time.Time
	log        *slog.Logger
}

// NewFanOut wires the use case; window is the collapse window.
func NewFanOut(r Recipients, o OnlineChecker, p PendingStore, s PushScheduler, window time.Duration, now func() time.Time, log *slog.Logger) *FanOut {
	return &FanOut{recipients: r, online: o, pending: p, scheduler: s, window: window, now: now, log: log}
}

// Message handles one stored message. It returns an error when the work
// must be retried (the event stays unacknowledged).
func (f *FanOut) Message(ctx context.Context, roomID string, m domain.PendingMessage) error {
	users, err := f.recipients.PushRecipients(ctx, roomID, m.SenderID)
	if err != nil {
		return fmt.Errorf("push recipients: %w", err)
	}
	if len(users) == 0 {
		return nil
	}
	online, err := f.online.Online(ctx, users)
	if err != nil {
		return fmt.Errorf("presence: %w", err)
	}
	at := f.now().Truncate(f.window).Add(f.window)
	for _, u := range users {
		if online[u] {
			continue
		}
		if err := f.pending.Add(ctx, u, roomID, m); err != nil {
			return fmt.Errorf("pending push: %w", err)
		}
		if err := f.scheduler.Schedule(ctx, u, roomID, at); err != nil {
			return fmt.Errorf("schedule push: %w", err)
		}
	}
	return nil
}
