package app

import (
	"context"
	"slices"

	"github.com/chatforge/chat/modules/calls/internal/domain"
	"github.com/chatforge/chat/modules/calls/signal"
)

// Hangup ends user's part in a call, whatever its state:
//   - the caller while it rings: cancelled, every device rung gets
//     call-ended "cancelled";
//   - a member rung while it rings: declined for that member (their other
//     devices stop ringing); once every member rung declined, the call ends
//     and the caller gets call-ended "declined";
//   - a party of an active call: completed, the other devices of the call
//     get call-ended "hangup";
//   - an ended call: nothing (a repeated hang-up is answered the same).
func (a *App) Hangup(ctx context.Context, user, session, callID string) (Ack, error) {
	for range 3 { // a state change raced this one: look again
		c, err := a.p.Store.Get(ctx, callID)
		if err != nil {
			return Ack{}, err
		}
		if user != c.CallerID && !c.Invited(user) {
			return Ack{}, domain.ErrNotFound
		}
		done, err := a.hangup(ctx, c, user, session)
		if err != nil || done {
			return Ack{CallID: callID}, err
		}
	}
	return Ack{}, domain.ErrOver
}

func (a *App) hangup(ctx context.Context, c domain.Call, user, session string) (bool, error) {
	now := a.now().UTC()
	switch {
	case c.State == domain.Ended:
		return true, nil
	case c.State == domain.Ringing && user == c.CallerID:
		e, ok, err := a.p.Store.End(ctx, c.ID, domain.Ringing, domain.Cancelled, now)
		if !ok || err != nil {
			return false, err
		}
		s := signalOf(signal.EventEnded, ended{CallID: e.ID, RoomID: e.RoomID, Reason: domain.ReasonCancelled})
		s.Users, s.Sessions, s.Except = e.Invitees, []string{e.CallerSession}, []string{session}
		a.publish(ctx, s)
		a.record(ctx, e)
		return true, nil
	case c.State == domain.Ringing:
		d, ok, err := a.p.Store.Decline(ctx, c.ID, user)
		if !ok || err != nil {
			return false, err
		}
		mine := signalOf(signal.EventEnded, ended{CallID: d.ID, RoomID: d.RoomID, Reason: domain.ReasonDeclined})
		mine.Users, mine.Except = []string{user}, []string{session}
		a.publish(ctx, mine)
		if slices.ContainsFunc(d.Invitees, func(u string) bool { return !slices.Contains(d.Declined, u) }) {
			return true, nil // others still ring
		}
		e, ok, err := a.p.Store.End(ctx, d.ID, domain.Ringing, domain.Declined, now)
		if err != nil {
			return false, err
		}
		if !ok {
			return true, nil // answered or ended meanwhile: this user's decline stands
		}
		s := signalOf(signal.EventEnded, ended{CallID: e.ID, RoomID: e.RoomID, Reason: domain.ReasonDeclined})
		s.Sessions = []string{e.CallerSession}
		a.publish(ctx, s)
		a.record(ctx, e)
		return true, nil
	case user == c.CallerID || user == c.AnsweredBy:
		e, ok, err := a.p.Store.End(ctx, c.ID, domain.Active, domain.Completed, now)
		if !ok || err != nil {
			return false, err
		}
		s := signalOf(signal.EventEnded, ended{CallID: e.ID, RoomID: e.RoomID, Reason: domain.ReasonHangup})
		s.Sessions, s.Except = []string{e.CallerSession, e.AnswererSession}, []string{session}
		a.publish(ctx, s)
		a.record(ctx, e)
		return true, nil
	default:
		// A member rung who did not answer, after someone else did: their
		// devices already stopped ringing.
		return true, nil
	}
}
