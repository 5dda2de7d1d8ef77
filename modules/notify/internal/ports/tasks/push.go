package tasks

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/hibiken/asynq"

	"github.com/chatforge/chat/modules/notify/internal/adapters/queue"
	"github.com/chatforge/chat/modules/notify/internal/app"
)

// PushHandler serves push:message tasks.
type PushHandler struct {
	deliverer *app.Deliverer
	log       *slog.Logger
	metrics   *Metrics
}

// NewPushHandler wires the handler.
func NewPushHandler(d *app.Deliverer, log *slog.Logger, m *Metrics) *PushHandler {
	return &PushHandler{deliverer: d, log: log, metrics: m}
}

// ProcessTask implements asynq.Handler.
func (h *PushHandler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var p queue.Payload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.UserID == "" || p.RoomID == "" {
		h.log.ErrorContext(ctx, "push task payload invalid; archived", "payload_bytes", len(t.Payload()))
		return fmt.Errorf("push: invalid payload: %w", asynq.SkipRetry)
	}
	res, err := h.deliverer.Deliver(ctx, p.UserID, p.RoomID)
	h.metrics.Push("sent", res.Sent)
	h.metrics.Push("gone", res.Gone)
	h.metrics.Push("failed", res.Failed)
	if res.Outcome != "sent" && res.Outcome != "" {
		h.metrics.Push(res.Outcome, 1)
	}
	if err != nil {
		return err
	}
	h.log.DebugContext(ctx, "push delivered", "user_id", p.UserID, "room_id", p.RoomID,
		"outcome", res.Outcome, "sent", res.Sent, "gone", res.Gone, "failed", res.Failed)
	return nil
}
