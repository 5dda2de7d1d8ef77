// Package domain holds the notify module's plain rules: which e-mails exist
// and how a task maps to one idempotency key, what a valid Web Push
// subscription is, and what a push notification about a message carries.
// No SMTP, HTTP, SQL or JSON here.
package domain
