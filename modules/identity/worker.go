package identity

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"gorm.io/gorm"

	"github.com/chatforge/chat/modules/identity/internal/adapters/mailqueue"
	"github.com/chatforge/chat/modules/identity/internal/adapters/postgres"
	"github.com/chatforge/chat/modules/identity/internal/app"
	"github.com/chatforge/chat/modules/identity/internal/ports/jobs"
)

// WorkerDeps are what the worker's part of the module needs. Config's
// PublicBaseURL is required; ResetTTL defaults as in Config.
type WorkerDeps struct {
	DB     *gorm.DB
	Jobs   *asynq.Client
	Log    *slog.Logger
	Config Config
	Now    func() time.Time
}

// Worker is the identity module's part in apps/worker: it resolves
// forgot-password requests (TaskPasswordForgot) to an account and queues
// the reset e-mail, or nothing for an unknown address. The api only
// enqueues the request, so its answer takes as long whether or not the
// account exists.
type Worker struct{ resolver *app.ResetResolver }

// NewWorker wires the worker's part.
func NewWorker(d WorkerDeps) (*Worker, error) {
	if d.DB == nil || d.Jobs == nil {
		return nil, errors.New("identity: WorkerDeps.DB and Jobs are required")
	}
	ttl := d.Config.ResetTTL
	if ttl == 0 {
		ttl = DefaultConfig().ResetTTL
	}
	mailer, err := mailqueue.New(d.Jobs, d.Config.PublicBaseURL)
	if err != nil {
		return nil, fmt.Errorf("identity: config: %w", err)
	}
	return &Worker{resolver: app.NewResetResolver(postgres.New(d.DB), mailer, ttl, d.Now, d.Log)}, nil
}

// RegisterTasks mounts the worker's task handlers on mux.
func (w *Worker) RegisterTasks(mux *asynq.ServeMux) { jobs.Register(mux, w.resolver) }
