package identity

import "github.com/chatforge/chat/modules/identity/internal/adapters/mailqueue"

// E-mail tasks the module enqueues (asynq, queue EmailQueue) for the
// worker. The contract is defined next to the code that enqueues it and
// re-exported here, so the two cannot drift apart.
const (
	// TaskVerifyEmail asks to send the address-verification link.
	TaskVerifyEmail = mailqueue.TaskVerifyEmail
	// TaskPasswordReset asks to send the password-reset link.
	TaskPasswordReset = mailqueue.TaskPasswordReset
	// EmailQueue is the asynq queue of both tasks ("critical").
	EmailQueue = mailqueue.Queue
)

// EmailPayload is the JSON payload of both e-mail tasks:
// {"userId","email","displayName","token","link"}.
type EmailPayload = mailqueue.Payload

// VerifyEmailPayload and PasswordResetPayload name EmailPayload by task, as
// the team contract spells them.
type (
	VerifyEmailPayload   = EmailPayload
	PasswordResetPayload = EmailPayload
)
