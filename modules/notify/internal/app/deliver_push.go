package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/chatforge/chat/modules/notify/internal/domain"
)

// PendingReader reads and settles pending records.
type PendingReader interface {
	// Lock makes the caller the only deliverer of (user, room) for ttl; it
	// returns an unlock function, or nil when someone else holds it.
	Lock(ctx context.Context, userID, roomID string, ttl time.Duration) (unlock func(), err error)
	Peek(ctx context.Context, userID, roomID string) (domain.PendingMessage, bool, error)
	// Settle removes what a push covered: up to seq, count messages. A
	// newer message that arrived meanwhile stays pending.
	Settle(ctx context.Context, userID, roomID string, seq int64, count int) error
}

// RateLimiter bounds pushes per user.
type RateLimiter interface {
	Allow(ctx context.Context, userID string) (ok bool, retryAfter time.Duration, err error)
}

// SubscriptionStore is the push subscriptions of users.
type SubscriptionStore interface {
	// Deliverable returns userID's subscriptions whose session is live and
	// deletes the others: a push carries a message preview, and must stop
	// when the session that subscribed is logged out, revoked or expired.
	Deliverable(ctx context.Context, userID string) ([]domain.Subscription, error)
	Delete(ctx context.Context, userID, id string) error
	MarkSuccess(ctx context.Context, id string, at time.Time) error
}

// Pusher sends one encrypted push; errors wrap domain.ErrGone when the push
// service says the subscription is gone, domain.ErrPermanent when it
// refuses this push for good.
type Pusher interface {
	Push(ctx context.Context, s domain.Subscription, payload []byte, topic string) error
}

// Directory names rooms and users for the notification text.
type Directory interface {
	Names(ctx context.Context, roomID, userID string) (roomName, userName string, err error)
}

// ReadPointers tells how far a user has read a room (on any of their
// devices): a push for a message already read is not sent.
type ReadPointers interface {
	ReadSeq(ctx context.Context, userID, roomID string) (int64, error)
}

// lockTTL outlasts one delivery (the push task's timeout is 30 s).
const lockTTL = 45 * time.Second

// PushResult says what a delivery did, for metrics.
type PushResult struct {
	Sent, Gone, Failed int
	Outcome            string // "sent", "nothing_pending", "online", "read", "rate_limited", "busy", "failed"
}

// Deliverer sends the pending push of one (user, room).
type Deliverer struct {
	pending   PendingReader
	online    OnlineChecker
	limiter   RateLimiter
	subs      SubscriptionStore
	pusher    Pusher
	dir       Directory
	reads     ReadPointers
	scheduler PushScheduler
	now       func() time.Time
	log       *slog.Logger
}

// NewDeliverer wires the use case.
func NewDeliverer(p PendingReader, o OnlineChecker, l RateLimiter, s SubscriptionStore, pu Pusher, d Directory, r ReadPointers, sch PushScheduler, now func() time.Time, log *slog.Logger) *Deliverer {
	return &Deliverer{pending: p, online: o, limiter: l, subs: s, pusher: pu, dir: d, reads: r, scheduler: sch, now: now, log: log}
}

// payload is the JSON a service worker receives (decrypted).
type payload struct {
	Type       string `json:"type"`
	RoomID     string `json:"roomId"`
	RoomName   string `json:"roomName,omitempty"`
	SenderID   string `json:"senderId"`
	SenderName string `json:"senderName"`
	Preview    string `json:"preview"`
	Count      int    `json:"count"`
	MessageID  string `json:"messageId"`
	Seq        int64  `json:"seq"`
	Timestamp  string `json:"timestamp"`
}

// Deliver pushes the pending message of (userID, roomID) to every
// subscription of the user. An error means "retry": nothing was settled.
func (d *Deliverer) Deliver(ctx context.Context, userID, roomID string) (PushResult, error) {
	// Deliveries of one (user, room) due at the same moment (two windows'
	// tasks released together) would both read the same record and push it
	// twice: one delivers, the other comes back a little later for whatever
	// arrives meanwhile.
	unlock, err := d.pending.Lock(ctx, userID, roomID, lockTTL)
	if err != nil {
		return PushResult{}, fmt.Errorf("push lock: %w", err)
	}
	if unlock == nil {
		return PushResult{Outcome: "busy"}, d.scheduler.Schedule(ctx, userID, roomID, d.now().Add(time.Second).Truncate(time.Second))
	}
	defer unlock()
	m, ok, err := d.pending.Peek(ctx, userID, roomID)
	if err != nil || !ok {
		return PushResult{Outcome: "nothing_pending"}, err
	}
	// Came online since the fan-out: the app shows the messages.
	if on, err := d.online.Online(ctx, []string{userID}); err == nil && on[userID] {
		return PushResult{Outcome: "online"}, d.pending.Settle(ctx, userID, roomID, m.Seq, m.Count)
	}
	// Read meanwhile on another device (ARCHITECTURE.md section 10): the
	// push would announce what the user has seen. A newer message that
	// arrived since stays pending; an error only skips the check.
	if read, err := d.reads.ReadSeq(ctx, userID, roomID); err == nil && read >= m.Seq {
		return PushResult{Outcome: "read"}, d.pending.Settle(ctx, userID, roomID, m.Seq, m.Count)
	} else if err != nil {
		d.log.WarnContext(ctx, "push: read pointer", "user_id", userID, "room_id", roomID, "err", err)
	}
	ok, retry, err := d.limiter.Allow(ctx, userID)
	if err != nil {
		return PushResult{}, fmt.Errorf("push rate limit: %w", err)
	}
	if !ok {
		// Keep the record (it keeps counting) and come back when allowed.
		return PushResult{Outcome: "rate_limited"}, d.scheduler.Schedule(ctx, userID, roomID, d.now().Add(retry))
	}
	body, err := d.render(ctx, roomID, m)
	if err != nil {
		return PushResult{}, err
	}
	subs, err := d.subs.Deliverable(ctx, userID)
	if err != nil {
		return PushResult{}, fmt.Errorf("subscriptions: %w", err)
	}
	var res PushResult
	var transient error
	for _, s := range subs {
		err := d.pusher.Push(ctx, s, body, domain.Topic(roomID))
		switch {
		case err == nil:
			res.Sent++
			if err := d.subs.MarkSuccess(ctx, s.ID, d.now()); err != nil {
				d.log.WarnContext(ctx, "push: mark success", "subscription_id", s.ID, "err", err)
			}
		case errors.Is(err, domain.ErrGone):
			res.Gone++
			d.log.InfoContext(ctx, "push subscription gone; removed", "user_id", userID, "subscription_id", s.ID)
			if err := d.subs.Delete(ctx, userID, s.ID); err != nil && !errors.Is(err, domain.ErrNotFound) {
				return res, fmt.Errorf("remove gone subscription: %w", err)
			}
		case errors.Is(err, domain.ErrPermanent):
			res.Failed++
			d.log.WarnContext(ctx, "push refused", "subscription_id", s.ID, "err", err)
		default:
			res.Failed++
			transient = err
		}
	}
	// Retry only when nothing got through and something may later: a
	// retry re-sends to every subscription, so a partial success settles.
	if res.Sent == 0 && transient != nil {
		res.Outcome = "failed"
		return res, fmt.Errorf("push: %w", transient)
	}
	res.Outcome = "sent"
	return res, d.pending.Settle(ctx, userID, roomID, m.Seq, m.Count)
}

func (d *Deliverer) render(ctx context.Context, roomID string, m domain.PendingMessage) ([]byte, error) {
	room, sender, err := d.dir.Names(ctx, roomID, m.SenderID)
	if err != nil {
		return nil, fmt.Errorf("push names: %w", err)
	}
	b, err := json.Marshal(payload{
		Type: "message", RoomID: roomID, RoomName: room, SenderID: m.SenderID, SenderName: sender,
		Preview: domain.Preview(m.Content), Count: m.Count, MessageID: m.MessageID, Seq: m.Seq,
		Timestamp: m.SentAt.UTC().Format("2006-01-02T15:04:05.000Z07:00"),
	})
	if err != nil {
		return nil, fmt.Errorf("push payload: %w", err)
	}
	return b, nil
}
