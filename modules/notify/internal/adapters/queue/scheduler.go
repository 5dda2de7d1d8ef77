// Package queue schedules push deliveries as asynq tasks.
package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hibiken/asynq"

	"github.com/chatforge/chat/modules/notify/internal/app"
	"github.com/chatforge/chat/platform/tracing"
)

// Task type and queue of push deliveries (re-exported by the root package).
const (
	TaskPushMessage = "push:message"
	Queue           = "default"
)

// Payload is the push task's JSON: which pending record to deliver.
type Payload struct {
	UserID string `json:"userId"`
	RoomID string `json:"roomId"`
	// Traceparent is the W3C trace context of what scheduled it (optional).
	Traceparent string `json:"traceparent,omitempty"`
}

// Scheduler implements app.PushScheduler.
type Scheduler struct{ client *asynq.Client }

var _ app.PushScheduler = (*Scheduler)(nil)

// NewScheduler returns a Scheduler enqueueing with client.
func NewScheduler(c *asynq.Client) *Scheduler { return &Scheduler{client: c} }

// Schedule enqueues the delivery at at. The task ID names (user, room,
// at): every message of one collapse window asks for the same ID, asynq
// keeps the first and refuses the rest, so a window makes one push. No
// retention: once it ran, a straggler of the same window may schedule
// again, and finds either its message or nothing pending.
func (s *Scheduler) Schedule(ctx context.Context, userID, roomID string, at time.Time) error {
	b, err := json.Marshal(Payload{UserID: userID, RoomID: roomID, Traceparent: tracing.Traceparent(ctx)})
	if err != nil {
		return err
	}
	id := "push:" + userID + ":" + roomID + ":" + strconv.FormatInt(at.UnixMilli(), 10)
	_, err = s.client.EnqueueContext(ctx, asynq.NewTask(TaskPushMessage, b),
		asynq.Queue(Queue), asynq.TaskID(id), asynq.ProcessAt(at),
		asynq.MaxRetry(5), asynq.Timeout(30*time.Second))
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("enqueue push: %w", err)
	}
	return nil
}
