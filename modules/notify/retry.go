package notify

import (
	"errors"
	"math/rand/v2"
	"time"

	"github.com/hibiken/asynq"

	"github.com/chatforge/chat/modules/notify/internal/ports/tasks"
)

// IsFailure is for asynq.Config.IsFailure: errors that only mean "not now"
// (SMTP circuit open, another worker's fresh claim) do not use up retries.
func IsFailure(err error) bool { return tasks.IsFailure(err) }

// RetryDelay is for asynq.Config.RetryDelayFunc. E-mail tasks back off
// exponentially from EmailConfig.RetryBase to RetryMax with jitter; a task
// recovered from a crashed worker (lease expired) runs again at once; other
// tasks get asynq's default.
func (m *Module) RetryDelay(n int, err error, t *asynq.Task) time.Duration {
	if errors.Is(err, asynq.ErrLeaseExpired) {
		return time.Second
	}
	if m.cfg.Email != nil && isEmailTask(t.Type()) {
		return backoff(n, m.cfg.Email.RetryBase, m.cfg.Email.RetryMax)
	}
	if isPushTask(t.Type()) {
		return backoff(n, 2*time.Second, 5*time.Minute)
	}
	return asynq.DefaultRetryDelayFunc(n, err, t)
}

// backoff is base·2ⁿ capped at ceiling, ±20% jitter.
func backoff(n int, base, ceiling time.Duration) time.Duration {
	d := ceiling
	if n < 32 && base<<n > 0 && base<<n < ceiling {
		d = base << n
	}
	jitter := 0.8 + 0.4*rand.Float64()
	return time.Duration(float64(d) * jitter)
}

func isEmailTask(typ string) bool {
	for _, e := range tasks.EmailTypes() {
		if e == typ {
			return true
		}
	}
	return false
}
