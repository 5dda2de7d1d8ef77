package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/hibiken/asynq/x/metrics"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"

	"github.com/chatforge/chat/modules/notify"
	"github.com/chatforge/chat/modules/webhooks"
	"github.com/chatforge/chat/platform/tracing"
)

// Queue priorities: account e-mails (a person is waiting) before push
// notifications before housekeeping. Weighted, not strict, so a flood of
// pushes cannot starve the clean-up forever.
var queues = map[string]int{"critical": 6, "default": 3, "low": 1}

func serverConfig(cfg Config, mod *notify.Module, hooks *webhooks.Worker, log *slog.Logger) asynq.Config {
	level := asynq.InfoLevel
	if cfg.LogLevel == "debug" {
		level = asynq.DebugLevel
	}
	return asynq.Config{
		Concurrency: cfg.Concurrency,
		Queues:      queues,
		RetryDelayFunc: func(n int, err error, t *asynq.Task) time.Duration {
			if t.Type() == webhooks.TaskDeliver && !errors.Is(err, asynq.ErrLeaseExpired) {
				return hooks.RetryDelay(n)
			}
			return mod.RetryDelay(n, err, t)
		},
		IsFailure:       notify.IsFailure,
		ShutdownTimeout: cfg.ShutdownTimeout,
		// Retries and scheduled pushes become runnable when the forwarder
		// moves them; asynq's default 5 s would add up to 5 s to every push
		// and every e-mail retry. One small Lua call per queue a second.
		DelayedTaskCheckInterval: time.Second,
		Logger:                   asynqLogger{log.With("component", "asynq")},
		LogLevel:                 level,
		HealthCheckFunc: func(err error) {
			if err != nil {
				log.Warn("asynq cannot reach redis", "err", err)
			}
		},
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, t *asynq.Task, err error) {
			id, _ := asynq.GetTaskID(ctx)
			retried, _ := asynq.GetRetryCount(ctx)
			maxRetry, _ := asynq.GetMaxRetry(ctx)
			level := slog.LevelWarn
			if errors.Is(err, asynq.SkipRetry) || retried >= maxRetry {
				level = slog.LevelError // archived: someone should look
			}
			log.Log(ctx, level, "task failed", "task_type", t.Type(), "task_id", id,
				"retried", retried, "max_retry", maxRetry, "err", err)
		}),
	}
}

// schedulerOpts: every worker runs a scheduler, so each periodic task is
// offered once per instance per tick; the tasks are Unique, and the
// duplicates' "task already exists" is expected, not an error to log.
func schedulerOpts(log *slog.Logger) *asynq.SchedulerOpts {
	return &asynq.SchedulerOpts{
		Logger:   asynqLogger{log.With("component", "asynq-scheduler")},
		LogLevel: asynq.WarnLevel,
		EnqueueErrorHandler: func(t *asynq.Task, _ []asynq.Option, err error) {
			if errors.Is(err, asynq.ErrDuplicateTask) || errors.Is(err, asynq.ErrTaskIDConflict) {
				return
			}
			log.Error("scheduling periodic task", "task_type", t.Type(), "err", err)
		},
	}
}

// taskMetrics counts and times every task by type and outcome.
func taskMetrics(reg prometheus.Registerer) asynq.MiddlewareFunc {
	total := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "worker_tasks_total", Help: "Tasks handled by this worker, by type and result (ok, error).",
	}, []string{"type", "result"})
	seconds := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "worker_task_duration_seconds", Help: "Task handling time by type.",
		Buckets: prometheus.ExponentialBuckets(0.005, 3, 10),
	}, []string{"type"})
	reg.MustRegister(total, seconds)
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			start := time.Now()
			err := next.ProcessTask(ctx, t)
			result := "ok"
			if err != nil {
				result = "error"
			}
			total.WithLabelValues(t.Type(), result).Inc()
			seconds.WithLabelValues(t.Type()).Observe(time.Since(start).Seconds())
			return err
		})
	}
}

// traceTasks gives every task a consumer span in the trace of what queued
// it: the payloads are JSON objects, and a producer that traces adds an
// optional "traceparent" member (tasks without it start a trace).
func traceTasks(tr *tracing.Tracing) asynq.MiddlewareFunc {
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			var carried struct {
				Traceparent string `json:"traceparent"`
			}
			_ = json.Unmarshal(t.Payload(), &carried) // not JSON: no trace
			ctx, span := tr.StartRemote(ctx, "task "+t.Type(), carried.Traceparent, tracing.Consumer)
			defer span.End()
			id, _ := asynq.GetTaskID(ctx)
			retried, _ := asynq.GetRetryCount(ctx)
			span.SetAttributes(attribute.String("messaging.system", "asynq"), attribute.String("asynq.task.type", t.Type()),
				attribute.String("asynq.task.id", id), attribute.Int("asynq.task.retry", retried))
			err := next.ProcessTask(ctx, t)
			if err != nil {
				span.SetStatus(codes.Error, err.Error())
			}
			return err
		})
	}
}

// registerQueueMetrics exports asynq's queue gauges (size, latency, states,
// processed and failed counts) through asynq's own collector. Each scrape
// asks Redis; every instance exports the same shared numbers.
func registerQueueMetrics(reg prometheus.Registerer, rdb redis.UniversalClient) {
	reg.MustRegister(metrics.NewQueueMetricsCollector(asynq.NewInspectorFromRedisClient(rdb)))
}

// asynqLogger routes asynq's logs into slog. Fatal does not exit: asynq
// calls it only from Run, which this program does not use; main decides.
type asynqLogger struct{ log *slog.Logger }

func (l asynqLogger) Debug(args ...any) { l.log.Debug(fmt.Sprint(args...)) }
func (l asynqLogger) Info(args ...any)  { l.log.Info(fmt.Sprint(args...)) }
func (l asynqLogger) Warn(args ...any)  { l.log.Warn(fmt.Sprint(args...)) }
func (l asynqLogger) Error(args ...any) { l.log.Error(fmt.Sprint(args...)) }
func (l asynqLogger) Fatal(args ...any) { l.log.Error(fmt.Sprint(args...)) }
