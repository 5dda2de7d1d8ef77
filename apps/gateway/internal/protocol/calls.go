package protocol

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/chatforge/chat/platform/strictjson"
)

// Call signaling events (ARCHITECTURE.md section 10). The client events go
// to the api (the calls module) through the command stream; the server
// events come back from it on the calls pub/sub channel.
const (
	EventCallInvite = "call-invite"
	EventCallAnswer = "call-answer"
	EventCallICE    = "call-ice"
	EventCallHangup = "call-hangup"

	EventCallIncoming = "call-incoming"
	EventCallAnswered = "call-answered"
	EventCallEnded    = "call-ended"
)

// Call is the data of a call event, validated: CallID always; RoomID,
// Media and SDP for call-invite; SDP for call-answer; Candidate (any JSON
// but null, relayed unchanged) for call-ice.
type Call struct {
	CallID    string
	RoomID    string
	Media     string
	SDP       string
	Candidate json.RawMessage
}

// callData is the wire form; pointers tell a missing field.
type callData struct {
	CallID    *string         `json:"callId"`
	RoomID    *string         `json:"roomId"`
	Media     *string         `json:"media"`
	SDP       *string         `json:"sdp"`
	Candidate json.RawMessage `json:"candidate"`
}

// callFields lists each call event's fields.
func callFields(event string) func(key []byte) bool {
	names := map[string][]string{
		EventCallInvite: {"callId", "roomId", "media", "sdp"},
		EventCallAnswer: {"callId", "sdp"},
		EventCallICE:    {"callId", "candidate"},
		EventCallHangup: {"callId"},
	}[event]
	return func(key []byte) bool {
		for _, n := range names {
			if bytes.EqualFold(key, []byte(n)) {
				return true
			}
		}
		return false
	}
}

// DecodeCall decodes and validates the data of a call event. The SDP is a
// non-empty string (its content is the peers' business; the frame limit
// bounds it).
func DecodeCall(event string, data json.RawMessage) (Call, *Error) {
	if len(data) == 0 || isNull(data) {
		return Call{}, badRequest("data.callId is required")
	}
	var d callData
	if err := json.Unmarshal(data, &d); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return Call{}, badRequest("data." + te.Field + " must be a string")
		}
		return Call{}, badRequest("data must be an object")
	}
	if err := strictjson.CheckFields(data, callFields(event)); err != nil {
		var e *strictjson.Error
		if errors.As(err, &e) && e.Kind == strictjson.UnknownField {
			return Call{}, badRequest("data." + e.Key + " is not a field of this event")
		}
		return Call{}, badRequest("data refused: " + strictReason(err))
	}
	id, perr := uuidField(d.CallID, "callId")
	if perr != nil {
		return Call{}, perr
	}
	c := Call{CallID: id}
	switch event {
	case EventCallInvite:
		if c.RoomID, perr = roomID(d.RoomID, ""); perr != nil {
			return Call{}, perr
		}
		if d.Media == nil || (*d.Media != "audio" && *d.Media != "video") {
			return Call{}, badRequest(`data.media must be "audio" or "video"`)
		}
		c.Media = *d.Media
		fallthrough
	case EventCallAnswer:
		if d.SDP == nil || *d.SDP == "" {
			return Call{}, badRequest("data.sdp is required")
		}
		c.SDP = *d.SDP
	case EventCallICE:
		if len(d.Candidate) == 0 || isNull(d.Candidate) {
			return Call{}, badRequest("data.candidate is required")
		}
		c.Candidate = d.Candidate
	}
	return c, nil
}
