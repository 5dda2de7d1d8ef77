package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"

	"github.com/chatforge/chat/modules/messaging"
	"github.com/chatforge/chat/modules/webhooks/internal/adapters/postgres"
	"github.com/chatforge/chat/modules/webhooks/internal/app"
	"github.com/chatforge/chat/modules/webhooks/internal/domain"
	"github.com/chatforge/chat/modules/webhooks/internal/ports/httpapi"
	"github.com/chatforge/chat/modules/webhooks/internal/ports/tasks"
	"github.com/chatforge/chat/platform/egress"
	"github.com/chatforge/chat/platform/streamgroup"
)

// TaskDeliver is the asynq task type of one delivery.
const TaskDeliver = tasks.TaskDeliver

// TaskDisabledEmail is the task (for the notify module's e-mail handler,
// identity's payload shape) telling a room's owner that a webhook was
// disabled and how to enable it again.
const TaskDisabledEmail = tasks.TaskDisabledEmail

// Group is the consumer group of the worker on the event streams.
const Group = "webhooks"

// API is the api side: the management routes.
type API struct{ http *httpapi.Handler }

// NewAPI wires the routes. guard checks hook URLs (ALLOW_PRIVATE_WEBHOOKS).
func NewAPI(db *gorm.DB, guard *egress.Guard, log *slog.Logger) (*API, error) {
	if db == nil || guard == nil {
		return nil, errors.New("webhooks: db and guard are required")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := postgres.New(db)
	return &API{http: httpapi.New(app.NewManager(s, s, guard, time.Now), log)}, nil
}

// Routes mounts /api/chat/rooms/:id/webhooks (POST, GET), .../:webhookId
// (DELETE) and .../:webhookId/enable (POST).
func (a *API) Routes(r gin.IRouter, auth, userLimit gin.HandlerFunc) {
	a.http.Routes(r, auth, userLimit)
}

// WorkerConfig tunes delivery.
type WorkerConfig struct {
	RetryBase    time.Duration // first retry delay, doubling; WEBHOOK_RETRY_BASE
	RetryMax     time.Duration // longest delay; WEBHOOK_RETRY_MAX
	MaxAttempts  int           // attempts per delivery; WEBHOOK_MAX_ATTEMPTS
	DisableAfter int           // consecutive failed attempts that disable a hook; WEBHOOK_DISABLE_AFTER
	Timeout      time.Duration // per attempt; WEBHOOK_TIMEOUT
	Partitions   int           // event stream partitions
	Consumer     string        // this worker's name in the group
	// PublicBaseURL is where the owner's e-mail points the enabling call.
	PublicBaseURL string
}

// Worker is the worker side: the stream consumer and the delivery task.
type Worker struct {
	cfg WorkerConfig
	d   *app.Deliverer
	rdb redis.UniversalClient
	log *slog.Logger
}

// NewWorker wires delivery; guard's client makes every request.
func NewWorker(db *gorm.DB, rdb redis.UniversalClient, jobs *asynq.Client, guard *egress.Guard, cfg WorkerConfig, log *slog.Logger) *Worker {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := postgres.New(db)
	q := tasks.Queue{Client: jobs, MaxRetries: max(cfg.MaxAttempts-1, 0)}
	alerts := tasks.Alerts{Owners: s, Client: jobs, BaseURL: cfg.PublicBaseURL}
	d := app.NewDeliverer(s, q, guard.Client(egress.ClientOptions{Timeout: cfg.Timeout}), alerts, cfg.DisableAfter, log, time.Now)
	return &Worker{cfg: cfg, d: d, rdb: rdb, log: log.With("component", "webhooks")}
}

// RegisterTasks adds the delivery handler to mux.
func (w *Worker) RegisterTasks(mux *asynq.ServeMux) { mux.Handle(TaskDeliver, tasks.Handler{D: w.d}) }

// RetryDelay is the back-off of a delivery's n-th retry: RetryBase·2ⁿ up
// to RetryMax, ±20% jitter.
func (w *Worker) RetryDelay(n int) time.Duration {
	d := w.cfg.RetryMax
	if n < 32 && w.cfg.RetryBase<<n > 0 && w.cfg.RetryBase<<n < d {
		d = w.cfg.RetryBase << n
	}
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// event is the JSON body of a delivery.
type event struct {
	ID     string            `json:"id"`
	Type   string            `json:"type"`
	RoomID string            `json:"roomId"`
	Data   messaging.Message `json:"data"`
}

// RunFanout reads the message events and enqueues their deliveries until
// ctx is done.
func (w *Worker) RunFanout(ctx context.Context) error {
	c := &streamgroup.Consumer{Redis: w.rdb, Streams: messaging.StreamKeys(w.cfg.Partitions), Group: Group,
		Name: w.cfg.Consumer, Log: w.log, Handle: w.handle}
	return c.Run(ctx)
}

func (w *Worker) handle(ctx context.Context, stream, id string, values map[string]any) error {
	e, err := messaging.DecodeEvent(values)
	if err != nil {
		w.log.WarnContext(ctx, "skipping malformed event", "stream", stream, "entry", id, "err", err)
		return nil
	}
	var name string
	switch e.Type {
	case messaging.EventMessageCreated:
		name = domain.EventMessage
	case messaging.EventMessageUpdated:
		name = domain.EventMessageUpdated
	default:
		return nil
	}
	if e.Message == nil {
		return nil
	}
	body, err := json.Marshal(event{ID: e.ID, Type: name, RoomID: e.RoomID, Data: *e.Message})
	if err != nil {
		return nil
	}
	return w.d.FanOut(ctx, e.RoomID, e.ID, name, body)
}
