package notify

import (
	"context"
	"errors"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hibiken/asynq"

	"github.com/chatforge/chat/modules/notify/internal/adapters/postgres"
	"github.com/chatforge/chat/modules/notify/internal/adapters/queue"
	"github.com/chatforge/chat/modules/notify/internal/adapters/redisstate"
	"github.com/chatforge/chat/modules/notify/internal/adapters/webpush"
	"github.com/chatforge/chat/modules/notify/internal/app"
	"github.com/chatforge/chat/modules/notify/internal/ports/events"
	"github.com/chatforge/chat/modules/notify/internal/ports/httpapi"
	"github.com/chatforge/chat/modules/notify/internal/ports/tasks"
	"github.com/chatforge/chat/platform/egress"
	"github.com/chatforge/chat/platform/ratelimit"
)

// TaskPushMessage is the push task: tell one user about new messages in
// one room. It goes to PushQueue ("default").
const (
	TaskPushMessage = queue.TaskPushMessage
	PushQueue       = queue.Queue
)

// OnlineChecker tells which users have a live connection (presence).
// Users it reports online get no push: they see the message in the app.
type OnlineChecker interface {
	Online(ctx context.Context, userIDs []string) (map[string]bool, error)
}

// pushParts is the push side of the worker (nil without a VAPID private
// key): the task handler and the event-stream consumer.
type pushParts struct {
	handler  asynq.Handler
	consumer *events.Consumer
}

func newPushParts(d Deps, cfg Config, m *tasks.Metrics) (*pushParts, error) {
	p := cfg.Push
	if !p.sendsPush() {
		return nil, nil
	}
	if d.Redis == nil || d.Jobs == nil || d.Limiter == nil || d.Online == nil {
		return nil, errors.New("push needs Deps.Redis, Jobs, Limiter and Online")
	}
	pending := redisstate.NewPending(d.Redis)
	sched := queue.NewScheduler(d.Jobs)
	rooms := postgres.NewRooms(d.DB)
	pusher := webpush.New(webpush.Config{
		PublicKey: p.VAPIDPublicKey, PrivateKey: p.VAPIDPrivateKey, Subject: p.VAPIDSubject,
		TTL: p.TTL, Guard: egress.New(p.egressPolicy(), nil),
	})
	limit := ratelimit.Limit{Rate: p.RatePerMinute, Period: time.Minute, Burst: p.RatePerMinute}
	deliverer := app.NewDeliverer(pending, d.Online, userLimiter{d.Limiter, limit}, postgres.NewSubscriptions(d.DB),
		pusher, rooms, rooms, sched, d.Now, d.Log)
	fanout := app.NewFanOut(rooms, d.Online, pending, sched, p.CollapseWindow, d.Now, d.Log)
	consumer := p.Consumer
	if consumer == "" {
		consumer = "worker"
	}
	return &pushParts{
		handler:  tasks.NewPushHandler(deliverer, d.Log, m),
		consumer: events.NewConsumer(d.Redis, p.Partitions, consumer, fanout, d.Log).Traced(d.Tracing),
	}, nil
}

func isPushTask(typ string) bool { return typ == TaskPushMessage }

// RunPushFanout reads message events (consumer group "push" on every
// chat:events:{p} stream, shared by all workers) and schedules pushes until
// ctx is done; it then returns nil. It returns at once when the module
// sends no push.
func (m *Module) RunPushFanout(ctx context.Context) error {
	if m.push == nil {
		return nil
	}
	return m.push.consumer.Run(ctx)
}

// userLimiter adapts the platform limiter to app.RateLimiter with one key
// per user, all rooms together.
type userLimiter struct {
	l     *ratelimit.Limiter
	limit ratelimit.Limit
}

func (u userLimiter) Allow(ctx context.Context, userID string) (bool, time.Duration, error) {
	return u.l.Allow(ctx, "push:"+userID, u.limit)
}

// httpParts serves the push-subscription REST endpoints.
type httpParts struct{ h *httpapi.Handler }

func newHTTPParts(d Deps, cfg Config) *httpParts {
	subs := app.NewSubscriptions(postgres.NewSubscriptions(d.DB), egress.New(cfg.Push.egressPolicy(), nil),
		cfg.Push.AllowHTTPEndpoints, d.Now)
	return &httpParts{h: httpapi.New(subs, cfg.Push.VAPIDPublicKey, d.Log)}
}

// Routes mounts the push-subscription endpoints under /api/push on r
// (GET vapid-public-key, GET/POST subscriptions, DELETE subscriptions/:id).
// auth is the access-token middleware; userLimit the per-user rate limit
// (nil for none).
func (m *Module) Routes(r gin.IRouter, auth, userLimit gin.HandlerFunc) {
	m.http.h.Routes(r, auth, userLimit)
}
