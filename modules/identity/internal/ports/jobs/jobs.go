// Package jobs is the identity module's asynq port: the task handlers the
// worker runs for it (resolving forgot-password requests).
package jobs

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hibiken/asynq"

	"github.com/chatforge/chat/modules/identity/internal/adapters/mailqueue"
	"github.com/chatforge/chat/modules/identity/internal/app"
	"github.com/chatforge/chat/modules/identity/internal/domain"
)

// Register mounts the handlers on mux.
func Register(mux *asynq.ServeMux, r *app.ResetResolver) {
	mux.HandleFunc(mailqueue.TaskPasswordForgot, func(ctx context.Context, t *asynq.Task) error {
		var p mailqueue.ForgotPayload
		if err := json.Unmarshal(t.Payload(), &p); err != nil {
			return fmt.Errorf("%s: bad payload: %v: %w", mailqueue.TaskPasswordForgot, err, asynq.SkipRetry)
		}
		email, err := domain.ParseEmail(p.Email)
		if err != nil {
			return fmt.Errorf("%s: bad address: %v: %w", mailqueue.TaskPasswordForgot, err, asynq.SkipRetry)
		}
		return r.Resolve(ctx, app.ResetRequest{Email: email, IP: p.IP, UserAgent: p.UserAgent, RequestID: p.RequestID})
	})
}
