package app

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/chatforge/chat/modules/identity/internal/domain"
)

// Mail is what an e-mail about a token needs: who, and the plaintext token
// for the link. TokenHash identifies the message, so a repeated enqueue of
// the same token is recognised as a duplicate.
type Mail struct {
	UserID      uuid.UUID
	Email       domain.Email
	DisplayName domain.DisplayName
	Token       string
	TokenHash   domain.TokenHash
}

// Mailer queues e-mails for delivery by the worker.
type Mailer interface {
	SendVerification(ctx context.Context, m Mail) error
	SendPasswordReset(ctx context.Context, m Mail) error
}

// enqueueTimeout bounds a queue write that runs after the commit.
const enqueueTimeout = 5 * time.Second

// sendAfterCommit queues m once the token it carries is committed. Failure
// is logged, not returned: the account or token change already committed and
// failing the request would invite a retry that cannot succeed the same way
// (register would answer 409). The user recovers on their own: verification
// can be resent (POST /api/auth/verify-email/resend) and a reset requested
// again. The request's cancellation is dropped so a client hanging up does
// not abort a write that is already due.
func (a *App) sendAfterCommit(ctx context.Context, send func(context.Context, Mail) error, kind string, m Mail) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), enqueueTimeout)
	defer cancel()
	if err := send(ctx, m); err != nil {
		a.log.ErrorContext(ctx, "enqueue email", "kind", kind, "user_id", m.UserID, "err", err)
	}
}

func mailFor(u domain.User, token string, hash domain.TokenHash) Mail {
	return Mail{UserID: u.ID, Email: u.Email, DisplayName: u.DisplayName, Token: token, TokenHash: hash}
}
