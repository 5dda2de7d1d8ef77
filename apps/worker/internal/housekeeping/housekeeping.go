// Package housekeeping is the worker's periodic clean-up: expired or long
// revoked sessions (their refresh tokens cascade), spent or expired e-mail
// tokens, old event-stream entries and old e-mail
// ledger rows. Each job is an asynq task on the "low" queue, offered by
// every worker's scheduler and made Unique so one instance runs it per tick.
//
// It works on other modules' tables directly (identity's sessions and
// email_tokens): retention is an operations concern that
// spans the schema, and the statements below are the whole of it. If a
// module grows its own purge use case, call that instead.
package housekeeping

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"
)

// Queue is the asynq queue of housekeeping tasks.
const Queue = "low"

// Task types.
const (
	TaskSessions    = "housekeeping:sessions"
	TaskEmailTokens = "housekeeping:email_tokens"
	TaskStreams     = "housekeeping:streams"
	TaskEmailLedger = "housekeeping:email_ledger"
	TaskAttachments = "housekeeping:attachments"
)

// OrphanPurger deletes uploads no message carried within their grace
// period (the attachments module).
type OrphanPurger interface {
	PurgeOrphans(ctx context.Context) (int, error)
}

// Config holds the retention periods.
type Config struct {
	// StreamRetention trims event-stream entries older than this; clients
	// further behind page history over REST.
	StreamRetention time.Duration
	// EmailLedgerRetention keeps sent_emails rows; it must outlast any
	// e-mail task's retries so a late redelivery still finds its row.
	EmailLedgerRetention time.Duration
	// StreamPartitions is the number of chat:events:{p} streams.
	StreamPartitions int
	// Attachments, when set, runs TaskAttachments.
	Attachments OrphanPurger
}

// Batch bounds the rows one DELETE touches, so a large backlog never holds
// long locks or bloats one transaction; a job loops until a batch is short.
const Batch = 1000

// Housekeeper runs the clean-up jobs.
type Housekeeper struct {
	db      *gorm.DB
	rdb     redis.UniversalClient
	log     *slog.Logger
	cfg     Config
	now     func() time.Time
	removed *prometheus.CounterVec
}

// New returns a Housekeeper; reg nil leaves its metric unregistered.
func New(db *gorm.DB, rdb redis.UniversalClient, log *slog.Logger, reg prometheus.Registerer, cfg Config) *Housekeeper {
	h := &Housekeeper{db: db, rdb: rdb, log: log, cfg: cfg, now: time.Now,
		removed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "housekeeping_removed_total",
			Help: "Rows or stream entries removed by housekeeping, by job.",
		}, []string{"job"}),
	}
	if reg != nil {
		reg.MustRegister(h.removed)
	}
	return h
}

// jobs maps each task type to its clean-up.
func (h *Housekeeper) jobs() map[string]func(context.Context) (int64, error) {
	jobs := map[string]func(context.Context) (int64, error){
		TaskSessions:    h.Sessions,
		TaskEmailTokens: h.EmailTokens,
		TaskStreams:     h.Streams,
		TaskEmailLedger: h.EmailLedger,
	}
	if h.cfg.Attachments != nil {
		jobs[TaskAttachments] = h.Attachments
	}
	return jobs
}

// Attachments deletes orphaned uploads (blobs, then rows).
func (h *Housekeeper) Attachments(ctx context.Context) (int64, error) {
	n, err := h.cfg.Attachments.PurgeOrphans(ctx)
	return int64(n), err
}

// RegisterTasks mounts one handler per job on mux.
func (h *Housekeeper) RegisterTasks(mux *asynq.ServeMux) {
	for typ, job := range h.jobs() {
		mux.HandleFunc(typ, func(ctx context.Context, _ *asynq.Task) error {
			n, err := job(ctx)
			h.removed.WithLabelValues(typ).Add(float64(n))
			if err != nil {
				return fmt.Errorf("%s: %w", typ, err)
			}
			if n > 0 {
				h.log.InfoContext(ctx, "housekeeping", "job", typ, "removed", n)
			}
			return nil
		})
	}
}

// Schedule registers every job on s, every interval. Unique for most of an
// interval: the schedulers of N workers offer the task N times per tick and
// asynq keeps one. MaxRetry is low: the next tick is the real retry.
func (h *Housekeeper) Schedule(s *asynq.Scheduler, every time.Duration) error {
	spec := "@every " + every.String()
	unique := max(every*9/10, time.Second) // asynq's least
	for typ := range h.jobs() {
		t := asynq.NewTask(typ, nil)
		_, err := s.Register(spec, t, asynq.Queue(Queue), asynq.Unique(unique),
			asynq.MaxRetry(2), asynq.Timeout(5*time.Minute))
		if err != nil {
			return fmt.Errorf("housekeeping: schedule %s: %w", typ, err)
		}
	}
	return nil
}
