// Package domain holds the webhooks module's rules: what a hook is, which
// events it takes, and how a delivery is signed. Plain Go.
package domain

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// Events a hook may take: "message" (a new message) and "message-updated"
// (an edit, deletion, reaction or moderation of one).
const (
	EventMessage        = "message"
	EventMessageUpdated = "message-updated"
)

// MaxPerRoom bounds the hooks of one room: each event costs a delivery
// per hook.
const MaxPerRoom = 10

// Errors of the module's rules.
var (
	ErrNotFound  = errors.New("webhooks: no such webhook or room")
	ErrForbidden = errors.New("webhooks: only the room's owner manages its webhooks")
	ErrTooMany   = errors.New("webhooks: too many webhooks in this room")
)

// InvalidError names a bad input field.
type InvalidError struct{ Field, Message string }

func (e *InvalidError) Error() string { return e.Field + ": " + e.Message }

// Webhook is one receiver of a room's events. Invariants: Events is a
// non-empty set of the known events; a disabled hook (DisabledAt set) gets
// no delivery until enabled again, which resets Failures.
type Webhook struct {
	ID         uuid.UUID
	RoomID     uuid.UUID
	CreatedBy  uuid.UUID
	URL        string
	Events     []string
	Secret     string
	Failures   int
	LastError  string
	DisabledAt *time.Time
	CreatedAt  time.Time
}

// NewWebhook checks the events and makes a hook with a fresh secret. The
// URL is checked by the caller against the egress policy.
func NewWebhook(room, by uuid.UUID, url string, events []string, now time.Time) (Webhook, error) {
	if len(events) == 0 {
		return Webhook{}, &InvalidError{Field: "events", Message: `at least one of "message", "message-updated"`}
	}
	var set []string
	for _, e := range events {
		if e != EventMessage && e != EventMessageUpdated {
			return Webhook{}, &InvalidError{Field: "events", Message: fmt.Sprintf("unknown event %q", e)}
		}
		if !slices.Contains(set, e) {
			set = append(set, e)
		}
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Webhook{}, err
	}
	var b [32]byte
	_, _ = rand.Read(b[:])
	return Webhook{ID: id, RoomID: room, CreatedBy: by, URL: url, Events: set,
		Secret: "whsec_" + hex.EncodeToString(b[:]), CreatedAt: now}, nil
}

// Takes reports whether the hook is live and subscribed to event.
func (w Webhook) Takes(event string) bool {
	return w.DisabledAt == nil && slices.Contains(w.Events, event)
}

// Signature is the X-Chatforge-Signature of body sent at ts:
// "sha256=" + hex(HMAC-SHA256(secret, "<unix seconds>.<body>")).
func Signature(secret string, ts time.Time, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts.Unix(), 10)))
	m.Write([]byte("."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}
