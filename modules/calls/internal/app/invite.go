package app

import (
	"context"
	"fmt"
	"slices"

	"github.com/chatforge/chat/modules/calls/internal/domain"
	"github.com/chatforge/chat/modules/calls/signal"
)

// Invite is call-invite's data: the client chooses the call id.
type Invite struct {
	CallID, RoomID, Media, SDP string
}

// incoming is the data of call-incoming.
type incoming struct {
	CallID   string `json:"callId"`
	RoomID   string `json:"roomId"`
	CallerID string `json:"callerId"`
	Media    string `json:"media"`
	SDP      string `json:"sdp"`
}

// Invite starts a call from user's session: every other member of the room
// who is not in another call gets call-incoming on every device. When all
// of them are busy, the call ends at once (status and call-ended "busy")
// and leaves a busy entry in the history. Re-sending the same invite (a
// retry) answers the call's status and rings nobody again.
func (a *App) Invite(ctx context.Context, user, session string, in Invite) (Ack, error) {
	if !domain.ValidMedia(in.Media) {
		return Ack{}, fmt.Errorf("%w: media must be audio or video", domain.ErrInvalid)
	}
	members, err := a.p.Rooms.MemberIDs(ctx, user, in.RoomID, domain.MaxInvitees)
	if err != nil {
		return Ack{}, err
	}
	if len(members) > domain.MaxInvitees {
		return Ack{}, fmt.Errorf("%w: the room has too many members for a call (at most %d)", domain.ErrInvalid, domain.MaxInvitees)
	}
	invitees := slices.DeleteFunc(members, func(m string) bool { return m == user })
	if len(invitees) == 0 {
		return Ack{}, fmt.Errorf("%w: nobody else in the room to call", domain.ErrInvalid)
	}
	busy, err := a.p.Store.Busy(ctx, invitees)
	if err != nil {
		return Ack{}, err
	}
	ring := slices.DeleteFunc(slices.Clone(invitees), func(m string) bool { return slices.Contains(busy, m) })
	now := a.now().UTC()
	c := domain.Call{
		ID: in.CallID, RoomID: in.RoomID, CallerID: user, CallerSession: session, Media: in.Media,
		Invitees: ring, State: domain.Ringing, CreatedAt: now, RingDeadline: now.Add(a.ringTimeout),
	}
	if len(ring) == 0 {
		c.Invitees, c.State, c.Outcome, c.EndedAt = invitees, domain.Ended, domain.Busy, now
	}
	stored, created, err := a.p.Store.Create(ctx, c)
	if err != nil {
		return Ack{}, err
	}
	if !created {
		if stored.CallerID != user || stored.RoomID != in.RoomID {
			return Ack{}, fmt.Errorf("%w: callId is taken", domain.ErrInvalid)
		}
		return inviteAck(stored), nil
	}
	if c.State == domain.Ended {
		s := signalOf(signal.EventEnded, ended{CallID: c.ID, RoomID: c.RoomID, Reason: domain.ReasonBusy})
		s.Sessions = []string{session}
		a.publish(ctx, s)
		a.record(ctx, stored)
		return inviteAck(stored), nil
	}
	s := signalOf(signal.EventIncoming, incoming{CallID: c.ID, RoomID: c.RoomID, CallerID: user, Media: c.Media, SDP: in.SDP})
	s.Users = ring
	a.publish(ctx, s)
	return inviteAck(stored), nil
}

func inviteAck(c domain.Call) Ack {
	status := string(c.State)
	if c.State == domain.Ended {
		status = string(c.Outcome)
	}
	return Ack{CallID: c.ID, RoomID: c.RoomID, Status: status}
}
