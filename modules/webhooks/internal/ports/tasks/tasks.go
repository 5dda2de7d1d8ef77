// Package tasks is the webhooks module's asynq side: the queue adapter that
// enqueues deliveries and the handler that makes them.
package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/chatforge/chat/modules/webhooks/internal/app"
)

// TaskDeliver is the asynq task type of one delivery.
const TaskDeliver = "webhooks:deliver"

// Queue enqueues deliveries on asynq's "default" queue, each with a task
// id made of the event and hook ids, so an event read twice from the
// stream (at-least-once) is not delivered twice while the finished task
// is kept (10 minutes, past the stream's claim time).
type Queue struct {
	Client     *asynq.Client
	MaxRetries int
}

// Enqueue implements app.Queue.
func (q Queue) Enqueue(ctx context.Context, d app.Delivery) error {
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	_, err = q.Client.EnqueueContext(ctx, asynq.NewTask(TaskDeliver, b),
		asynq.Queue("default"), asynq.MaxRetry(q.MaxRetries), asynq.TaskID("wh:"+d.EventID+":"+d.WebhookID),
		asynq.Retention(10*time.Minute))
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return nil
	}
	return err
}

// Handler makes deliveries.
type Handler struct{ D *app.Deliverer }

// ProcessTask implements asynq.Handler.
func (h Handler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var d app.Delivery
	if err := json.Unmarshal(t.Payload(), &d); err != nil {
		return fmt.Errorf("webhooks: decode delivery: %v: %w", err, asynq.SkipRetry)
	}
	err := h.D.Deliver(ctx, d)
	if errors.Is(err, app.ErrGiveUp) {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	return err
}
