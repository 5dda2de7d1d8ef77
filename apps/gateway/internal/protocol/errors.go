package protocol

import "time"

// Code is the code of an error frame. The table below is the socket edge's
// error table (the REST edge has its problem+json table): every failure a
// client can cause or meet maps to exactly one code.
//
//	code           when                                                    strike
//	bad_request    not JSON, not an object, missing/ill-typed field,        yes
//	               binary frame, invalid value (api validation too)
//	unknown_event  "event" is not a client event of protocol v1             yes
//	too_large      frame longer than WS_MAX_FRAME_BYTES                     yes
//	rate_limited   more frames than the per-connection or per-user limit;   no
//	               data.retryAfterMs says when to send again (sustained
//	               sending over twice the rate closes with 4008 instead)
//	not_found      room does not exist or is not visible to the user        no
//	forbidden      not allowed: room not joined on this connection,         no
//	               not a member (posting), operation not allowed
//	blocked        posting in a direct room across a block (api's code)    no
//	muted          posting while muted in the room (api's code)             no
//	banned         joining or posting in a room one is banned from          no
//	unavailable    the api did not answer within COMMAND_TIMEOUT, Redis     no
//	               failed, or the api could not reach PostgreSQL or Redis
//	               (its reply's code); retry (same clientMsgId for messages).
//	               When the server is overloaded (the socket's frame queue
//	               is full, a frame waited in it past WS_QUEUE_MAX_WAIT behind
//	               a slow command, or
//	               the api shed it) data.retryAfterMs says when to retry
//	internal       a bug; logged with the connection id                     no
//
// A "strike" counts towards WS_BAD_FRAME_LIMIT: once a connection collects
// that many strikes within a minute it is closed with 4008.
type Code string

// Error codes.
const (
	CodeBadRequest   Code = "bad_request"
	CodeUnknownEvent Code = "unknown_event"
	CodeTooLarge     Code = "too_large"
	CodeRateLimited  Code = "rate_limited"
	CodeNotFound     Code = "not_found"
	CodeForbidden    Code = "forbidden"
	CodeUnavailable  Code = "unavailable"
	CodeInternal     Code = "internal"
)

// Strike reports whether an error with this code is the client's abuse of
// the protocol (as opposed to a legitimate request that failed).
func (c Code) Strike() bool {
	switch c {
	case CodeBadRequest, CodeUnknownEvent, CodeTooLarge:
		return true
	}
	return false
}

// Error is a protocol error: its code and a message for humans.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	// RetryAfterMs, on rate_limited and on an overloaded server's
	// unavailable: milliseconds until a frame would be allowed again.
	RetryAfterMs int64 `json:"retryAfterMs,omitempty"`
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Errorf-like constructors keep call sites short.
func badRequest(msg string) *Error { return &Error{Code: CodeBadRequest, Message: msg} }

// NewError returns an *Error with code and message.
func NewError(code Code, msg string) *Error { return &Error{Code: code, Message: msg} }

// RateLimited is a rate_limited error with its retry hint (rounded up to
// a whole millisecond, at least 1).
func RateLimited(msg string, retryAfter time.Duration) *Error {
	return &Error{Code: CodeRateLimited, Message: msg, RetryAfterMs: retryMs(retryAfter)}
}

// Unavailable is an unavailable error with a retry hint: the server cannot
// take the frame now, did not act on it, and says when to send it again.
func Unavailable(msg string, retryAfter time.Duration) *Error {
	return &Error{Code: CodeUnavailable, Message: msg, RetryAfterMs: retryMs(retryAfter)}
}

// retryMs rounds a retry hint up to a whole millisecond, at least 1.
func retryMs(d time.Duration) int64 { return max(1, (d + time.Millisecond - 1).Milliseconds()) }

// Close codes of protocol v1 (RFC 6455 reserves 4000-4999 for applications).
const (
	// CloseGoingAway: the gateway is shutting down; resume elsewhere.
	CloseGoingAway = 1001
	// CloseUnauthorized: the access token expired or the session was
	// revoked; reconnect with a fresh token (or log in again).
	CloseUnauthorized = 4001
	// ClosePolicyViolation: too many bad frames, or sustained sending
	// far over the rate limit.
	ClosePolicyViolation = 4008
)
