package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/chatforge/chat/modules/webhooks/internal/app"
	"github.com/chatforge/chat/modules/webhooks/internal/domain"
)

// TaskDisabledEmail asks the notify module to e-mail a room's owner that a
// webhook was disabled. Its payload is identity's e-mail payload shape.
const TaskDisabledEmail = "webhooks:disabled_email"

// emailPayload is {"userId","email","displayName","token","link"}: token
// keys the notify module's once-only ledger; link is the enabling call.
type emailPayload struct {
	UserID      string `json:"userId"`
	Email       string `json:"email"`
	DisplayName string `json:"displayName"`
	Token       string `json:"token"`
	Link        string `json:"link"`
}

// OwnerFinder finds a room's owner.
type OwnerFinder interface {
	RoomOwner(ctx context.Context, room uuid.UUID) (app.Owner, error)
}

// Alerts implements app.Alerts with an e-mail to the room's owner naming
// the call that enables the hook again (under PUBLIC_BASE_URL).
type Alerts struct {
	Owners  OwnerFinder
	Client  *asynq.Client
	BaseURL string
}

// Disabled implements app.Alerts. A bot owner (no mailbox) is skipped.
func (a Alerts) Disabled(ctx context.Context, w domain.Webhook) error {
	o, err := a.Owners.RoomOwner(ctx, w.RoomID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if strings.HasSuffix(o.Email, ".invalid") {
		return nil
	}
	at := ""
	if w.DisabledAt != nil {
		at = strconv.FormatInt(w.DisabledAt.UnixNano(), 10)
	}
	b, err := json.Marshal(emailPayload{UserID: o.UserID, Email: o.Email, DisplayName: o.DisplayName,
		Token: "webhook-disabled:" + w.ID.String() + ":" + at,
		Link:  strings.TrimRight(a.BaseURL, "/") + "/api/chat/rooms/" + w.RoomID.String() + "/webhooks/" + w.ID.String() + "/enable"})
	if err != nil {
		return err
	}
	_, err = a.Client.EnqueueContext(ctx, asynq.NewTask(TaskDisabledEmail, b), asynq.Queue("critical"), asynq.MaxRetry(10))
	return err
}
