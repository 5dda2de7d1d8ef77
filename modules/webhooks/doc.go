// Package webhooks is the outgoing-webhooks module: a room's owner
// registers URLs that receive the room's events as signed POSTs.
//
// The api manages hooks (/api/chat/rooms/:id/webhooks). The worker reads
// the message event streams (consumer group "webhooks"), enqueues one asynq
// task per (event, hook), and delivers it through the SSRF-guarded client
// (platform/egress) with X-Chatforge-Timestamp and X-Chatforge-Signature
// (sha256=<hex HMAC-SHA256 of "timestamp.body">), retrying with exponential
// back-off. Consecutive failed attempts past a limit disable the hook and
// tell the room's owner how to enable it again.
package webhooks
