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
	// TaskPasswordForgot asks the worker to resolve a forgot-password
	// request (Worker); the api enqueues it for every valid address.
	TaskPasswordForgot = mailqueue.TaskPasswordForgot
	// EmailQueue is the asynq queue of both tasks ("critical").
	EmailQueue = mailqueue.Queue
)

// EmailPayload is the JSON payload of both e-mail tasks:
// {"userId","email","displayName","token","link"}.
type EmailPayload = mailqueue.Payload

// ForgotPayload is the JSON payload of TaskPasswordForgot:
// {"email","ip","userAgent","requestId"}.
type ForgotPayload = mailqueue.ForgotPayload

// VerifyEmailPayload and PasswordResetPayload name EmailPayload by task, as
// the team contract spells them.
type (
	VerifyEmailPayload   = EmailPayload
	PasswordResetPayload = EmailPayload
)
