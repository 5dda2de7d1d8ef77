package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/chatforge/chat/modules/webhooks/internal/domain"
	"github.com/chatforge/chat/platform/egress"
)

// Delivery is one event for one hook: the unit the queue retries.
type Delivery struct {
	WebhookID string `json:"webhookId"`
	EventID   string `json:"eventId"`
	Event     string `json:"event"`
	Body      []byte `json:"body"`
}

// DeliveryStore is what delivering needs of the record.
type DeliveryStore interface {
	LiveByRoom(ctx context.Context, room uuid.UUID) ([]domain.Webhook, error)
	// ByID answers domain.ErrNotFound for a deleted hook.
	ByID(ctx context.Context, id uuid.UUID) (domain.Webhook, error)
	// Succeeded resets the hook's failure count.
	Succeeded(ctx context.Context, id uuid.UUID) error
	// Failed counts a failed attempt and disables the hook when the count
	// reaches disableAfter; disabledNow is true for the attempt that did.
	Failed(ctx context.Context, id uuid.UUID, reason string, disableAfter int, now time.Time) (w domain.Webhook, disabledNow bool, err error)
}

// Queue holds deliveries until the worker makes them.
type Queue interface {
	Enqueue(ctx context.Context, d Delivery) error
}

// Owner is a room's owner, whom Alerts tell.
type Owner struct{ UserID, Email, DisplayName string }

// Alerts tells a room's owner that one of its hooks was disabled and how to
// enable it again.
type Alerts interface {
	Disabled(ctx context.Context, w domain.Webhook) error
}

// ErrGiveUp marks a delivery that retrying cannot help (the hook is gone
// or disabled, the destination is refused): the queue drops it.
var ErrGiveUp = errors.New("webhooks: delivery abandoned")

// Deliverer fans events out and makes deliveries. Safe for concurrent use.
type Deliverer struct {
	store        DeliveryStore
	queue        Queue
	client       *http.Client
	alerts       Alerts
	disableAfter int
	log          *slog.Logger
	now          func() time.Time
}

// NewDeliverer wires the worker side. client must be the egress-guarded
// one (platform/egress).
func NewDeliverer(s DeliveryStore, q Queue, client *http.Client, a Alerts, disableAfter int, log *slog.Logger, now func() time.Time) *Deliverer {
	return &Deliverer{store: s, queue: q, client: client, alerts: a, disableAfter: disableAfter, log: log, now: now}
}

// FanOut enqueues one delivery of body per live hook of room taking event.
func (d *Deliverer) FanOut(ctx context.Context, roomID, eventID, event string, body []byte) error {
	rid, err := uuid.Parse(roomID)
	if err != nil {
		return nil // not a room of ours (the global room has no hooks either way)
	}
	hooks, err := d.store.LiveByRoom(ctx, rid)
	if err != nil {
		return err
	}
	for _, w := range hooks {
		if !w.Takes(event) {
			continue
		}
		if err := d.queue.Enqueue(ctx, Delivery{WebhookID: w.ID.String(), EventID: eventID, Event: event, Body: body}); err != nil {
			return err
		}
	}
	return nil
}

// maxResponse is how much of a receiver's answer is read (and kept, for
// the hook's lastError): receivers answer, they do not stream.
const maxResponse = 4 << 10

// Deliver makes one attempt. nil: delivered (2xx). ErrGiveUp: never again.
// Any other error: retry later. Every failed attempt counts towards
// disabling the hook.
func (d *Deliverer) Deliver(ctx context.Context, del Delivery) error {
	id, err := uuid.Parse(del.WebhookID)
	if err != nil {
		return fmt.Errorf("%w: webhook id %q", ErrGiveUp, del.WebhookID)
	}
	w, err := d.store.ByID(ctx, id)
	if errors.Is(err, domain.ErrNotFound) {
		return fmt.Errorf("%w: webhook deleted", ErrGiveUp)
	}
	if err != nil {
		return err
	}
	if w.DisabledAt != nil {
		return fmt.Errorf("%w: webhook disabled", ErrGiveUp)
	}
	failure := d.post(ctx, w, del)
	if failure == nil {
		return d.store.Succeeded(ctx, id)
	}
	if ctx.Err() != nil {
		return ctx.Err() // shutting down: not the receiver's fault
	}
	w, disabled, err := d.store.Failed(ctx, id, failure.Error(), d.disableAfter, d.now())
	if err != nil {
		return errors.Join(failure, err)
	}
	if disabled {
		d.log.WarnContext(ctx, "webhook disabled after repeated failures", "webhook_id", w.ID, "room_id", w.RoomID,
			"failures", w.Failures, "err", failure)
		if err := d.alerts.Disabled(ctx, w); err != nil {
			d.log.WarnContext(ctx, "telling the owner of a disabled webhook failed", "webhook_id", w.ID, "err", err)
		}
		return fmt.Errorf("%w: %v (webhook now disabled)", ErrGiveUp, failure)
	}
	if errors.Is(failure, egress.ErrRefused) {
		return fmt.Errorf("%w: %v", ErrGiveUp, failure) // asking again will not change the policy
	}
	return failure
}

// post sends the signed request; it returns why the attempt failed.
func (d *Deliverer) post(ctx context.Context, w domain.Webhook, del Delivery) error {
	ts := d.now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(del.Body))
	if err != nil {
		return fmt.Errorf("%w: bad url: %v", ErrGiveUp, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "chatforge-webhooks/1")
	req.Header.Set("X-Chatforge-Timestamp", strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set("X-Chatforge-Signature", domain.Signature(w.Secret, ts, del.Body))
	req.Header.Set("X-Chatforge-Event", del.Event)
	req.Header.Set("X-Chatforge-Delivery", del.EventID)
	req.Header.Set("X-Chatforge-Webhook", w.ID.String())
	res, err := d.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxResponse))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return fmt.Errorf("receiver answered %d", res.StatusCode)
	}
	return nil
}
