package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/chatforge/chat/modules/identity"
	"github.com/chatforge/chat/modules/notify/internal/app"
	"github.com/chatforge/chat/modules/notify/internal/domain"
	"github.com/chatforge/chat/modules/webhooks"
)

// kinds maps the e-mail task types (identity's, and the webhooks module's
// alert, same payload) to the e-mails they ask for.
var kinds = map[string]domain.Kind{
	identity.TaskVerifyEmail:   domain.KindVerify,
	identity.TaskPasswordReset: domain.KindPasswordReset,
	webhooks.TaskDisabledEmail: domain.KindWebhookDisabled,
}

// EmailTypes are the task types EmailHandler serves.
func EmailTypes() []string {
	return []string{identity.TaskVerifyEmail, identity.TaskPasswordReset, webhooks.TaskDisabledEmail}
}

// EmailHandler serves identity's e-mail tasks.
type EmailHandler struct {
	sender  *app.EmailSender
	baseURL string
	log     *slog.Logger
	metrics *Metrics
}

// NewEmailHandler wires the handler; baseURL is PUBLIC_BASE_URL, under
// which every link must lie.
func NewEmailHandler(s *app.EmailSender, baseURL string, log *slog.Logger, m *Metrics) *EmailHandler {
	return &EmailHandler{sender: s, baseURL: baseURL, log: log, metrics: m}
}

// ProcessTask implements asynq.Handler.
func (h *EmailHandler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	start := time.Now()
	kind, ok := kinds[t.Type()]
	if !ok {
		return fmt.Errorf("email: unknown task type %q: %w", t.Type(), asynq.SkipRetry)
	}
	taskID, _ := asynq.GetTaskID(ctx)
	log := h.log.With("task_id", taskID, "task_type", t.Type())

	var p identity.EmailPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		h.metrics.email(kind, "invalid", start)
		log.ErrorContext(ctx, "email task payload is not valid JSON; archived", "err", err)
		return fmt.Errorf("email: decode payload: %v: %w", err, asynq.SkipRetry)
	}
	e, err := domain.NewEmail(kind, p.UserID, p.Email, p.DisplayName, p.Token, p.Link, h.baseURL)
	if err != nil {
		h.metrics.email(kind, "invalid", start)
		log.ErrorContext(ctx, "email task payload is invalid; archived", "user_id", p.UserID, "err", err)
		return fmt.Errorf("email: %v: %w", err, asynq.SkipRetry)
	}

	err = h.sender.Send(ctx, e)
	switch {
	case err == nil:
		h.metrics.email(kind, "sent", start)
		return nil
	case errors.Is(err, domain.ErrPermanent):
		h.metrics.email(kind, "permanent_failure", start)
		log.ErrorContext(ctx, "email refused permanently by the SMTP server; archived", "user_id", e.UserID, "err", err)
		return fmt.Errorf("email: %v: %w", err, asynq.SkipRetry)
	case errors.Is(err, domain.ErrUnavailable), errors.Is(err, domain.ErrBusy):
		h.metrics.email(kind, "deferred", start)
		log.WarnContext(ctx, "email deferred", "err", err)
		return err
	default:
		h.metrics.email(kind, "transient_failure", start)
		log.WarnContext(ctx, "email failed; will retry with back-off", "err", err)
		return err
	}
}

// IsFailure tells asynq which errors count against a task's retries: an
// open circuit or another worker's fresh claim say nothing about the task,
// which is retried without burning an attempt.
func IsFailure(err error) bool {
	return !errors.Is(err, domain.ErrUnavailable) && !errors.Is(err, domain.ErrBusy)
}
