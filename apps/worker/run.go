package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/hibiken/asynq"
	"golang.org/x/sync/errgroup"
	"gorm.io/gorm"

	"github.com/chatforge/chat/apps/worker/internal/housekeeping"
	"github.com/chatforge/chat/modules/attachments"
	"github.com/chatforge/chat/modules/identity"
	"github.com/chatforge/chat/modules/messaging"
	"github.com/chatforge/chat/modules/moderation"
	"github.com/chatforge/chat/modules/notify"
	"github.com/chatforge/chat/modules/webhooks"
	"github.com/chatforge/chat/platform/config"
	"github.com/chatforge/chat/platform/database"
	"github.com/chatforge/chat/platform/egress"
	"github.com/chatforge/chat/platform/httpserver"
	"github.com/chatforge/chat/platform/logging"
	"github.com/chatforge/chat/platform/metrics"
	"github.com/chatforge/chat/platform/pprofserver"
	"github.com/chatforge/chat/platform/ratelimit"
	"github.com/chatforge/chat/platform/redisconn"
	"github.com/chatforge/chat/platform/tracing"
)

const usage = `usage:
  worker [serve]   process background jobs; health and metrics on WORKER_ADDR
Configuration comes from the environment; see .env.example.
`

// run is the whole program; main only adds the signal context and the exit
// code. It writes logs to stdout and returns what went wrong.
func run(ctx context.Context, args, environ []string, stdout io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
	}
	switch {
	case cmd == "serve" && len(args) <= 1:
		return serve(ctx, environ, stdout)
	case cmd == "help" || cmd == "-h" || cmd == "--help":
		_, err := io.WriteString(stdout, usage)
		return err
	default:
		return fmt.Errorf("unknown command %q\n%s", cmd, usage)
	}
}

// serve runs until ctx is done. Shutdown order: stop taking new work (push
// fan-out, scheduler), let in-flight tasks finish within
// WORKER_SHUTDOWN_TIMEOUT (asynq hands unfinished ones back to their queue),
// then stop serving health and metrics.
func serve(ctx context.Context, environ []string, stdout io.Writer) error {
	cfg, err := config.Parse[Config](environ)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	log, err := logging.New(stdout, cfg.LogLevel)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	if cfg.ID == "" {
		host, _ := os.Hostname()
		cfg.ID = host + "-" + strconv.Itoa(os.Getpid())
	}
	log = log.With("worker_id", cfg.ID)
	log.InfoContext(ctx, "worker starting", "config", config.Masked(cfg))
	if err := pprofserver.Start(ctx, cfg.PprofAddr, log); err != nil {
		return err
	}
	gin.SetMode(gin.ReleaseMode)
	trace, err := tracing.New(ctx, cfg.Tracing, "chatforge-worker", log)
	if err != nil {
		return err
	}
	defer trace.Close()

	db, err := database.Open(ctx, cfg.Postgres, log)
	if err != nil {
		return err
	}
	defer closeDB(db, log)
	rdb, err := redisconn.Open(ctx, cfg.Redis)
	if err != nil {
		return err
	}
	defer rdb.Close()

	reg := metrics.NewRegistry()
	database.RegisterPoolMetrics(reg, db)
	jobs := asynq.NewClientFromRedisClient(rdb)
	defer jobs.Close()

	push, err := pushConfig(cfg, log)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	online, err := newOnlineChecker(rdb, log)
	if err != nil {
		return err
	}
	mod, err := notify.New(notify.Deps{
		DB: db, Redis: rdb, Jobs: jobs, Limiter: ratelimit.New(rdb, log), Online: online,
		Log: log, Metrics: reg, Tracing: trace,
		Config: notify.Config{PublicBaseURL: cfg.PublicBaseURL, Email: emailConfig(cfg), Push: push},
	})
	if err != nil {
		return err
	}
	files, err := attachments.New(attachments.Deps{DB: db, Log: log, Config: cfg.Attachments})
	if err != nil {
		return err
	}
	hk := housekeeping.New(db, rdb, log, reg, housekeeping.Config{
		StreamRetention:      cfg.StreamRetention,
		EmailLedgerRetention: cfg.EmailLedgerRetention, StreamPartitions: cfg.StreamPartitions,
		Attachments: files,
	})

	// Forgot-password requests: the api enqueues one for every address, the
	// account is looked up here (its existence must not show in the api's
	// timing).
	ident, err := identity.NewWorker(identity.WorkerDeps{
		DB: db, Jobs: jobs, Log: log, Config: identity.Config{PublicBaseURL: cfg.PublicBaseURL},
	})
	if err != nil {
		return err
	}

	hooks := webhooks.NewWorker(db, rdb, jobs, egress.New(egress.Policy{
		AllowPrivate: cfg.AllowPrivateWebhooks, AllowHTTP: !cfg.production(),
	}, nil), webhooks.WorkerConfig{
		RetryBase: cfg.WebhookRetryBase, RetryMax: cfg.WebhookRetryMax, MaxAttempts: cfg.WebhookMaxAttempts,
		DisableAfter: cfg.WebhookDisableAfter, Timeout: cfg.WebhookTimeout,
		Partitions: cfg.StreamPartitions, Consumer: cfg.ID, PublicBaseURL: cfg.PublicBaseURL,
	}, log)

	// Automatic moderation hides and reports through the messaging module
	// (its outbox: the api's relay publishes the message-updated).
	chat, err := messaging.New(messaging.Deps{DB: db, Redis: rdb, Log: log,
		Config: messaging.Config{StreamPartitions: cfg.StreamPartitions}})
	if err != nil {
		return err
	}
	automod, err := moderation.New(moderation.Deps{Redis: rdb, Chat: moderationChat{chat: chat}, Log: log, Metrics: reg,
		Config: cfg.Moderation, Partitions: cfg.StreamPartitions, Consumer: cfg.ID})
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}

	mux := asynq.NewServeMux()
	mux.Use(taskMetrics(reg))
	if trace.Enabled() {
		mux.Use(traceTasks(trace))
	}
	mod.RegisterTasks(mux)
	ident.RegisterTasks(mux)
	hk.RegisterTasks(mux)
	hooks.RegisterTasks(mux)

	srv := asynq.NewServerFromRedisClient(rdb, serverConfig(cfg, mod, hooks, log))
	if err := srv.Start(mux); err != nil {
		return fmt.Errorf("asynq server: %w", err)
	}
	sched := asynq.NewSchedulerFromRedisClient(rdb, schedulerOpts(log))
	if err := hk.Schedule(sched, cfg.HousekeepingInterval); err != nil {
		srv.Shutdown()
		return err
	}
	if err := sched.Start(); err != nil {
		srv.Shutdown()
		return fmt.Errorf("asynq scheduler: %w", err)
	}
	registerQueueMetrics(reg, rdb)

	h := newHandler(cfg, log, reg, rdb, db, srv)
	defer h.close()

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return httpserver.Run(gctx, log, cfg.Addr, h, cfg.ShutdownTimeout) })
	g.Go(func() error { return mod.RunPushFanout(gctx) })
	g.Go(func() error { return hooks.RunFanout(gctx) })
	g.Go(func() error { return automod.Run(gctx) })
	g.Go(func() error {
		<-gctx.Done()
		log.Info("worker stopping: finishing in-flight tasks", "timeout", cfg.ShutdownTimeout.String())
		sched.Shutdown()
		srv.Shutdown()
		log.Info("worker stopped")
		return nil
	})
	err = g.Wait()
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

func emailConfig(cfg Config) *notify.EmailConfig {
	return &notify.EmailConfig{
		Addr: cfg.SMTPAddr, Username: cfg.SMTPUsername, Password: cfg.SMTPPassword, From: cfg.SMTPFrom,
		TLS: cfg.SMTPTLS, Timeout: cfg.SMTPTimeout,
		BreakerFailures: cfg.SMTPBreakerFailures, BreakerOpenFor: cfg.SMTPBreakerOpenFor,
		RetryBase: cfg.EmailRetryBase, RetryMax: cfg.EmailRetryMax,
	}
}

// pushConfig takes the VAPID keys from the environment or, failing that,
// from VAPID_KEY_FILE (created outside production).
func pushConfig(cfg Config, log *slog.Logger) (notify.PushConfig, error) {
	p := notify.PushConfig{
		VAPIDPublicKey: cfg.VAPIDPublicKey, VAPIDPrivateKey: cfg.VAPIDPrivateKey, VAPIDSubject: cfg.VAPIDSubject,
		RatePerMinute: cfg.PushRatePerMinute, CollapseWindow: cfg.PushCollapseWindow, TTL: cfg.PushTTL,
		AllowHTTPEndpoints: !cfg.production(), AllowPrivateEndpoints: cfg.AllowPrivateWebhooks,
		Partitions: cfg.StreamPartitions, Consumer: cfg.ID,
	}
	if p.VAPIDPrivateKey == "" {
		k, err := notify.LoadVAPIDKeys(cfg.vapidFile(), !cfg.production())
		if err != nil {
			return p, err
		}
		log.Info("VAPID keys loaded", "file", cfg.vapidFile())
		p.VAPIDPublicKey, p.VAPIDPrivateKey = k.PublicKey, k.PrivateKey
	}
	return p, nil
}

func closeDB(db *gorm.DB, log *slog.Logger) {
	if sqlDB, err := db.DB(); err == nil {
		if err := sqlDB.Close(); err != nil {
			log.Warn("closing database", "err", err)
		}
	}
}
