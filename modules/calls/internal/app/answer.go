package app

import (
	"context"
	"encoding/json"

	"github.com/chatforge/chat/modules/calls/internal/domain"
	"github.com/chatforge/chat/modules/calls/signal"
)

// Answer is call-answer's data.
type Answer struct{ CallID, SDP string }

// answered is the data of call-answered.
type answered struct {
	CallID string `json:"callId"`
	UserID string `json:"userId"`
	SDP    string `json:"sdp"`
}

// iceData is the data of call-ice: the candidate as the peer sent it.
type iceData struct {
	CallID    string          `json:"callId"`
	Candidate json.RawMessage `json:"candidate"`
}

// Answer takes a ringing call on user's session: the caller's device gets
// call-answered with the SDP answer, every other device rung (the user's
// own other devices, other members in a group room) gets call-ended
// "answered-elsewhere", and this device gets the caller's ICE candidates
// sent so far. Only one answer wins; the others get domain.ErrOver.
func (a *App) Answer(ctx context.Context, user, session string, in Answer) (Ack, error) {
	c, ice, ok, err := a.p.Store.Answer(ctx, in.CallID, user, session, a.now().UTC())
	if err != nil {
		return Ack{}, err
	}
	if !ok {
		cur, err := a.p.Store.Get(ctx, in.CallID)
		if err != nil {
			return Ack{}, err
		}
		if !cur.Invited(user) {
			return Ack{}, domain.ErrNotFound
		}
		return Ack{}, domain.ErrOver
	}
	toCaller := signalOf(signal.EventAnswered, answered{CallID: c.ID, UserID: user, SDP: in.SDP})
	toCaller.Sessions = []string{c.CallerSession}
	elsewhere := signalOf(signal.EventEnded, ended{CallID: c.ID, RoomID: c.RoomID, Reason: domain.ReasonAnsweredElsewhere, AnsweredBy: user})
	elsewhere.Users, elsewhere.Except = c.Invitees, []string{session}
	out := []signal.Signal{toCaller, elsewhere}
	for _, cand := range ice {
		s := signalOf(signal.EventICE, iceData{CallID: c.ID, Candidate: cand})
		s.Sessions = []string{session}
		out = append(out, s)
	}
	a.publish(ctx, out...)
	return Ack{CallID: c.ID}, nil
}
