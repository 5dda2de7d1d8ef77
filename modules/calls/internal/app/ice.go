package app

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/chatforge/chat/modules/calls/internal/domain"
	"github.com/chatforge/chat/modules/calls/signal"
)

// ICE is call-ice's data; Candidate is any JSON, relayed unchanged.
type ICE struct {
	CallID    string
	Candidate json.RawMessage
}

// RelayICE passes a candidate to the other device of an active call. The
// caller's candidates sent while the call rings are kept and handed to
// whichever device answers (trickle ICE starts before anyone answered).
func (a *App) RelayICE(ctx context.Context, user, session string, in ICE) (Ack, error) {
	ok, err := a.p.Store.BufferICE(ctx, in.CallID, session, in.Candidate)
	if err != nil {
		return Ack{}, err
	}
	if ok {
		return Ack{CallID: in.CallID}, nil
	}
	c, err := a.p.Store.Get(ctx, in.CallID)
	if err != nil {
		return Ack{}, err
	}
	switch {
	case c.Party(session):
		s := signalOf(signal.EventICE, iceData{CallID: c.ID, Candidate: in.Candidate})
		s.Sessions = []string{c.Peer(session)}
		a.publish(ctx, s)
		return Ack{CallID: c.ID}, nil
	case user != c.CallerID && !c.Invited(user):
		return Ack{}, domain.ErrNotFound
	case c.State == domain.Ringing && session == c.CallerSession:
		return Ack{}, fmt.Errorf("%w: at most %d candidates before an answer", domain.ErrInvalid, domain.MaxBufferedICE)
	case c.State == domain.Ended:
		return Ack{}, domain.ErrOver
	default:
		// A member's device that is not in the call (yet): an answer comes
		// before its candidates.
		return Ack{}, fmt.Errorf("%w: this device is not in the call", domain.ErrForbidden)
	}
}
