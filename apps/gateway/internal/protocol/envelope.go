// Package protocol is the socket protocol v1 of the gateway, as data: event
// names, the envelope {event, ref, data}, decoding and validation of client
// frames into small structs, encoding of server frames, the error code table
// and the close codes. It does no I/O and knows nothing of melody or Redis,
// so it is cheap to test and to benchmark.
package protocol

import (
	"encoding/json"
	"errors"

	"github.com/chatforge/chat/platform/strictjson"
)

// Client -> server events.
const (
	EventJoinRoom    = "join-room"
	EventLeaveRoom   = "leave-room"
	EventSendMessage = "send-message"
	EventTypingStart = "typing-start"
	EventTypingStop  = "typing-stop"
	EventMarkRead    = "mark-read"
	// Message changes (ARCHITECTURE.md section 8).
	EventEditMessage   = "edit-message"
	EventDeleteMessage = "delete-message"
	EventReact         = "react"
)

// Server -> client events (typing-start/typing-stop are both ways).
const (
	EventReady          = "ready"
	EventReceiveMessage = "receive-message"
	EventMessageUpdated = "message-updated"
	EventMessageRead    = "message-read"
	EventPresence       = "presence"
	// EventDeviceKeysChanged: {userId}, whose devices (end-to-end
	// encryption keys) changed; a member of one of their rooms re-claims.
	EventDeviceKeysChanged = "device-keys-changed"
	EventAck               = "ack"
	EventError             = "error"
)

// maxRefBytes bounds the client's correlation id: it is echoed in every
// answer, so it must stay small.
const maxRefBytes = 64

// Envelope is a decoded client frame. Ref is the raw JSON of the client's
// ref (a string or a number, echoed as sent); Data is the raw JSON object of
// the event's data, decoded later by the event's own decoder.
type Envelope struct {
	Event string          `json:"event"`
	Ref   json.RawMessage `json:"ref"`
	Data  json.RawMessage `json:"data"`
}

// Decode parses one text frame. On error the returned envelope still carries
// whatever ref could be read, so the error frame can echo it.
func Decode(frame []byte) (Envelope, *Error) {
	var env Envelope
	if err := json.Unmarshal(frame, &env); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			if te.Field == "" {
				return Envelope{}, badRequest("frame must be a JSON object {event, ref?, data?}")
			}
			return Envelope{}, badRequest(te.Field + " has the wrong type")
		}
		return Envelope{}, badRequest("frame is not valid JSON")
	}
	if len(env.Ref) > 0 {
		if isNull(env.Ref) {
			env.Ref = nil
		} else if c := env.Ref[0]; c != '"' && c != '-' && (c < '0' || c > '9') {
			env.Ref = nil
			return env, badRequest("ref must be a string or a number")
		} else if len(env.Ref) > maxRefBytes {
			env.Ref = nil
			return env, badRequest("ref is longer than 64 bytes")
		}
	}
	// encoding/json repaired bad strings (U+FFFD) and resolved repeated
	// keys (the last wins) above; the client must hear about both instead.
	// The ref is echoed only if it is clean itself.
	if err := strictjson.Check(frame); err != nil {
		if strictjson.Check(env.Ref) != nil {
			env.Ref = nil
		}
		return Envelope{Ref: env.Ref}, badRequest("frame refused: " + strictReason(err))
	}
	if env.Event == "" {
		return env, badRequest("event is required")
	}
	if len(env.Data) > 0 && !isNull(env.Data) && env.Data[0] != '{' {
		return env, badRequest("data must be an object")
	}
	if !KnownEvent(env.Event) {
		return env, &Error{Code: CodeUnknownEvent, Message: "unknown event " + quoteShort(env.Event)}
	}
	return env, nil
}

// KnownEvent reports whether event is a client event of protocol v1.
func KnownEvent(event string) bool {
	switch event {
	case EventJoinRoom, EventLeaveRoom, EventSendMessage, EventTypingStart, EventTypingStop, EventMarkRead,
		EventEditMessage, EventDeleteMessage, EventReact,
		EventCallInvite, EventCallAnswer, EventCallICE, EventCallHangup:
		return true
	}
	return false
}

func isNull(raw json.RawMessage) bool { return string(raw) == "null" }

// strictReason is a strictjson refusal for an error frame: what and where.
func strictReason(err error) string {
	var e *strictjson.Error
	if errors.As(err, &e) {
		return e.Error()
	}
	return err.Error()
}

// quoteShort quotes s for an error message, cut to 32 bytes so an attacker
// cannot make the gateway echo large strings.
func quoteShort(s string) string {
	if len(s) > 32 {
		s = s[:32] + "..."
	}
	b, _ := json.Marshal(s)
	return string(b)
}
