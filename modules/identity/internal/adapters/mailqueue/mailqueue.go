// Package mailqueue is the asynq adapter of the identity module: it queues
// the e-mails the worker sends. The task types and payload defined here are
// the wire contract with apps/worker, re-exported by the identity root
// package (identity.TaskVerifyEmail, identity.EmailPayload, ...).
package mailqueue

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/chatforge/chat/modules/identity/internal/app"
	"github.com/chatforge/chat/platform/tracing"
)

// Task types and the queue they go to.
const (
	TaskVerifyEmail   = "email:verify"
	TaskPasswordReset = "email:password_reset"
	// TaskPasswordForgot asks the worker to resolve a forgot-password
	// request: find the account and queue TaskPasswordReset, or nothing.
	TaskPasswordForgot = "identity:password_forgot"
	// Queue is asynq's "critical" queue: a user is waiting for this mail.
	Queue = "critical"
)

// Delivery policy: ten retries with asynq's exponential back-off cover an
// SMTP outage of hours; 30 s is ample for one SMTP exchange.
const (
	maxRetry = 10
	timeout  = 30 * time.Second
)

// Payload is the JSON payload of both e-mail tasks. Token is the plaintext
// token (the database keeps only its hash); Link is the page the user opens,
// PUBLIC_BASE_URL + "/verify-email?token=..." or "/reset-password?token=...".
type Payload struct {
	UserID      string `json:"userId"`
	Email       string `json:"email"`
	DisplayName string `json:"displayName"`
	Token       string `json:"token"`
	Link        string `json:"link"`
	// Traceparent is the W3C trace context of the request that queued it
	// (optional): the worker's span joins that trace.
	Traceparent string `json:"traceparent,omitempty"`
}

// ForgotPayload is the JSON payload of TaskPasswordForgot.
type ForgotPayload struct {
	Email     string `json:"email"`
	IP        string `json:"ip,omitempty"`
	UserAgent string `json:"userAgent,omitempty"`
	RequestID string `json:"requestId,omitempty"`
	// Traceparent: as in Payload.
	Traceparent string `json:"traceparent,omitempty"`
}

// Queuer implements app.Mailer and app.ResetRequests with asynq. Safe for concurrent use.
type Queuer struct {
	client  *asynq.Client
	baseURL string
}

var (
	_ app.Mailer        = (*Queuer)(nil)
	_ app.ResetRequests = (*Queuer)(nil)
)

// New returns a Queuer enqueueing with client and building links on
// publicBaseURL (scheme://host[/prefix], trailing slash ignored).
func New(client *asynq.Client, publicBaseURL string) (*Queuer, error) {
	u, err := url.Parse(publicBaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("mailqueue: public base URL %q must be an absolute http(s) URL", publicBaseURL)
	}
	return &Queuer{client: client, baseURL: strings.TrimRight(publicBaseURL, "/")}, nil
}

// SendVerification implements app.Mailer.
func (q *Queuer) SendVerification(ctx context.Context, m app.Mail) error {
	return q.enqueue(ctx, TaskVerifyEmail, "/verify-email", m)
}

// SendPasswordReset implements app.Mailer.
func (q *Queuer) SendPasswordReset(ctx context.Context, m app.Mail) error {
	return q.enqueue(ctx, TaskPasswordReset, "/reset-password", m)
}

// RequestPasswordReset implements app.ResetRequests: one task, whatever
// the address.
func (q *Queuer) RequestPasswordReset(ctx context.Context, r app.ResetRequest) error {
	b, err := json.Marshal(ForgotPayload{Email: r.Email.String(), IP: r.IP, UserAgent: r.UserAgent, RequestID: r.RequestID,
		Traceparent: tracing.Traceparent(ctx)})
	if err != nil {
		return fmt.Errorf("mailqueue: encode %s: %w", TaskPasswordForgot, err)
	}
	task := asynq.NewTask(TaskPasswordForgot, b, asynq.Queue(Queue), asynq.MaxRetry(maxRetry), asynq.Timeout(timeout))
	if _, err := q.client.EnqueueContext(ctx, task); err != nil {
		return fmt.Errorf("mailqueue: enqueue %s: %w", TaskPasswordForgot, err)
	}
	return nil
}

// enqueue queues one e-mail. The task ID is derived from the token hash, so
// enqueueing the same token twice (a retried call) leaves one task: asynq
// refuses the second with ErrTaskIDConflict, which is success here.
func (q *Queuer) enqueue(ctx context.Context, typ, path string, m app.Mail) error {
	b, err := json.Marshal(Payload{
		UserID: m.UserID.String(), Email: m.Email.String(), DisplayName: m.DisplayName.String(),
		Token: m.Token, Link: q.baseURL + path + "?token=" + url.QueryEscape(m.Token),
		Traceparent: tracing.Traceparent(ctx),
	})
	if err != nil {
		return fmt.Errorf("mailqueue: encode %s: %w", typ, err)
	}
	task := asynq.NewTask(typ, b,
		asynq.Queue(Queue), asynq.MaxRetry(maxRetry), asynq.Timeout(timeout),
		asynq.TaskID(TaskID(typ, m)))
	if _, err := q.client.EnqueueContext(ctx, task); err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("mailqueue: enqueue %s: %w", typ, err)
	}
	return nil
}

// TaskID is the asynq task ID of the e-mail for m: its type and token hash.
func TaskID(typ string, m app.Mail) string { return typ + ":" + hex.EncodeToString(m.TokenHash[:]) }
