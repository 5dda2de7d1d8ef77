package calls

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chatforge/chat/modules/calls/internal/app"
	"github.com/chatforge/chat/modules/calls/internal/domain"
	"github.com/chatforge/chat/modules/messaging/wire"
)

// CodeCallOver is the socket error code of answering, or relaying a
// candidate to, a call that ended or that another device answered.
const CodeCallOver = "call_over"

// staleAfter: a call command older than this (its gateway answered
// "unavailable" long ago, at COMMAND_TIMEOUT) is dropped unrun, so a
// command taken over from a crashed api does not ring or relay late.
const staleAfter = 10 * time.Second

// MaxSDPBytes bounds an offer or answer (the gateway's frame limit is
// lower by default; this guards the command stream itself).
const MaxSDPBytes = 64 << 10

// The command data, as the client sent it (the gateway validated it).
type (
	inviteData struct {
		CallID string `json:"callId"`
		RoomID string `json:"roomId"`
		Media  string `json:"media"`
		SDP    string `json:"sdp"`
	}
	answerData struct {
		CallID string `json:"callId"`
		SDP    string `json:"sdp"`
	}
	iceData struct {
		CallID    string          `json:"callId"`
		Candidate json.RawMessage `json:"candidate"`
	}
	hangupData struct {
		CallID string `json:"callId"`
	}
)

// HandleCommand runs one call command from the gateways' command stream
// (messaging.CommandOptions.Calls): call-invite, call-answer, call-ice,
// call-hangup, for cmd.UserID on cmd.SessionID (the device). It answers the
// ack data, or a *wire.Error with the socket error code.
func (m *Module) HandleCommand(ctx context.Context, cmd wire.Command) (json.RawMessage, error) {
	if !cmd.SentAt.IsZero() && m.now().Sub(cmd.SentAt) > staleAfter {
		return nil, &wire.Error{Code: wire.CodeUnavailable, Message: "the command waited too long; retry"}
	}
	if cmd.SessionID == "" {
		return nil, &wire.Error{Code: wire.CodeForbidden, Message: "calls need a session (a device)"}
	}
	var (
		ack app.Ack
		err error
	)
	switch cmd.Type {
	case wire.CmdCallInvite:
		var d inviteData
		if err = decode(cmd.Data, &d); err == nil {
			if err = checkInvite(&d); err == nil {
				ack, err = m.app.Invite(ctx, cmd.UserID, cmd.SessionID, app.Invite{CallID: d.CallID, RoomID: d.RoomID, Media: d.Media, SDP: d.SDP})
			}
		}
	case wire.CmdCallAnswer:
		var d answerData
		if err = decode(cmd.Data, &d); err == nil {
			if d.CallID, err = callID(d.CallID); err == nil {
				if err = checkSDP(d.SDP); err == nil {
					ack, err = m.app.Answer(ctx, cmd.UserID, cmd.SessionID, app.Answer{CallID: d.CallID, SDP: d.SDP})
				}
			}
		}
	case wire.CmdCallICE:
		var d iceData
		if err = decode(cmd.Data, &d); err == nil {
			if d.CallID, err = callID(d.CallID); err == nil {
				if len(d.Candidate) == 0 {
					err = invalid("data.candidate is required")
				} else {
					ack, err = m.app.RelayICE(ctx, cmd.UserID, cmd.SessionID, app.ICE{CallID: d.CallID, Candidate: d.Candidate})
				}
			}
		}
	case wire.CmdCallHangup:
		var d hangupData
		if err = decode(cmd.Data, &d); err == nil {
			if d.CallID, err = callID(d.CallID); err == nil {
				ack, err = m.app.Hangup(ctx, cmd.UserID, cmd.SessionID, d.CallID)
			}
		}
	default:
		err = invalid(fmt.Sprintf("unknown call command %q", cmd.Type))
	}
	if err != nil {
		return nil, commandError(err)
	}
	return marshalAck(ack), nil
}

// commandError maps the use cases' errors to reply codes; anything else
// (an outage, a bug) goes back as is for the consumer to classify.
func commandError(err error) error {
	var we *wire.Error
	switch {
	case errors.As(err, &we):
		return we
	case errors.Is(err, domain.ErrNotFound):
		return &wire.Error{Code: wire.CodeNotFound, Message: "no such call or room"}
	case errors.Is(err, domain.ErrForbidden):
		return &wire.Error{Code: wire.CodeForbidden, Message: detail(err, domain.ErrForbidden, "join the room first")}
	case errors.Is(err, domain.ErrInvalid):
		return &wire.Error{Code: wire.CodeBadRequest, Message: detail(err, domain.ErrInvalid, "invalid call data")}
	case errors.Is(err, domain.ErrOver):
		return &wire.Error{Code: CodeCallOver, Message: "the call is over or was answered elsewhere"}
	}
	return err
}

// detail is what err adds to its sentinel ("%w: detail"), or def.
func detail(err, sentinel error, def string) string {
	if d, ok := strings.CutPrefix(err.Error(), sentinel.Error()+": "); ok {
		return d
	}
	return def
}

func invalid(msg string) error { return &wire.Error{Code: wire.CodeBadRequest, Message: msg} }

func decode(raw json.RawMessage, dst any) error {
	if err := json.Unmarshal(raw, dst); err != nil {
		return invalid("malformed call data")
	}
	return nil
}

func callID(s string) (string, error) {
	id, err := uuid.Parse(s)
	if err != nil || len(s) != 36 {
		return "", invalid("data.callId must be a UUID")
	}
	return id.String(), nil
}

func checkSDP(sdp string) error {
	if sdp == "" || len(sdp) > MaxSDPBytes {
		return invalid(fmt.Sprintf("data.sdp must be 1..%d bytes", MaxSDPBytes))
	}
	return nil
}

func checkInvite(d *inviteData) error {
	var err error
	if d.CallID, err = callID(d.CallID); err != nil {
		return err
	}
	room, perr := uuid.Parse(d.RoomID)
	if perr != nil || len(d.RoomID) != 36 {
		return invalid("data.roomId must be a UUID")
	}
	d.RoomID = room.String()
	if !domain.ValidMedia(d.Media) {
		return invalid(`data.media must be "audio" or "video"`)
	}
	return checkSDP(d.SDP)
}
