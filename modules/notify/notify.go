// Package notify delivers what the system tells users outside the chat
// itself: transactional e-mails (address verification, password reset)
// over SMTP, and Web Push notifications (RFC 8030/8291/8292) about new
// messages to members who are offline.
//
// It is wired twice. The worker builds it with an EmailConfig and VAPID
// keys, registers its asynq task handlers (RegisterTasks) and runs the push
// fan-out over the message event streams (RunPushFanout). The api builds it
// with the VAPID public key only and mounts the push-subscription REST
// endpoints (Routes).
package notify

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"

	"github.com/chatforge/chat/modules/notify/internal/adapters/postgres"
	"github.com/chatforge/chat/modules/notify/internal/adapters/smtp"
	"github.com/chatforge/chat/modules/notify/internal/app"
	"github.com/chatforge/chat/modules/notify/internal/ports/tasks"
	"github.com/chatforge/chat/platform/ratelimit"
	"github.com/chatforge/chat/platform/tracing"
)

// Deps are the module's collaborators. DB is required. The worker also
// passes Redis, Jobs and Limiter (push fan-out and rate limits). Metrics nil
// leaves the module's series unregistered; Log nil discards; Now nil is
// time.Now.
type Deps struct {
	DB      *gorm.DB
	Redis   redis.UniversalClient
	Jobs    *asynq.Client
	Limiter *ratelimit.Limiter
	Online  OnlineChecker
	Log     *slog.Logger
	Metrics prometheus.Registerer
	Config  Config
	Now     func() time.Time
	// Tracing, when on, traces the push fan-out of traced messages (nil: off).
	Tracing *tracing.Tracing
}

// Module is the wired notify module.
type Module struct {
	cfg     Config
	log     *slog.Logger
	metrics *tasks.Metrics
	email   *tasks.EmailHandler
	push    *pushParts
	http    *httpParts
}

// New checks d and wires the module.
func New(d Deps) (*Module, error) {
	if d.DB == nil {
		return nil, errors.New("notify: Deps.DB is required")
	}
	cfg, err := d.Config.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("notify: config: %w", err)
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	m := &Module{cfg: cfg, log: d.Log, metrics: tasks.NewMetrics(d.Metrics)}
	if e := cfg.Email; e != nil {
		mailer, err := smtp.New(smtp.Config{
			Addr: e.Addr, Username: e.Username, Password: e.Password, From: e.From, TLS: e.TLS,
			Product: e.Product, Timeout: e.Timeout, BreakerFailures: e.BreakerFailures, BreakerOpenFor: e.BreakerOpenFor,
		}, d.Log, m.metrics.BreakerState)
		if err != nil {
			return nil, fmt.Errorf("notify: %w", err)
		}
		// A claim outlives one SMTP exchange (connect + send, each bounded
		// by Timeout) and expires before asynq recovers a crashed worker's
		// task (about a minute), so the recovered run is not turned away.
		claimTTL := min(2*e.Timeout+5*time.Second, 50*time.Second)
		sender := app.NewEmailSender(postgres.NewLedger(d.DB), mailer, d.Log, d.Now, claimTTL)
		m.email = tasks.NewEmailHandler(sender, cfg.PublicBaseURL, d.Log, m.metrics)
	}
	if m.push, err = newPushParts(d, cfg, m.metrics); err != nil {
		return nil, fmt.Errorf("notify: %w", err)
	}
	m.http = newHTTPParts(d, cfg)
	return m, nil
}

// RegisterTasks mounts the module's task handlers on mux: the e-mail tasks
// when the module has an EmailConfig, the push task when it has VAPID keys.
func (m *Module) RegisterTasks(mux *asynq.ServeMux) {
	if m.email != nil {
		for _, typ := range tasks.EmailTypes() {
			mux.Handle(typ, m.email)
		}
	}
	if m.push != nil {
		mux.Handle(TaskPushMessage, m.push.handler)
	}
}
