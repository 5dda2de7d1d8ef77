package app

import (
	"context"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// RecordCall posts a call entry (record: its JSON object) in roomID as
// callerID's message. key makes it idempotent: posting the same key again
// returns the first entry and stores nothing (ClientMsgID), so the calls
// module can retry after a crash. ErrNotFound when the caller is no longer
// a member of the room.
func (a *App) RecordCall(ctx context.Context, callerID, roomID, key string, record []byte) (domain.Message, error) {
	msg, created, err := a.p.Messages.Append(ctx, domain.Message{
		ID: a.newID(), RoomID: roomID, UserID: callerID, ClientMsgID: key, Call: record,
	}, nil)
	if err != nil {
		return domain.Message{}, err
	}
	if created {
		a.wakeForMessages()
	}
	return msg, nil
}

// MemberIDs returns the ids of the members of roomID (at most max+1, so the
// caller can tell "too many"), after checking that userID may post there:
// ErrNotFound when they may not see the room, ErrForbidden for a public
// room not joined.
func (a *App) MemberIDs(ctx context.Context, userID, roomID string, max int) ([]string, error) {
	acc, err := a.p.Access.Access(ctx, roomID, userID)
	if err != nil {
		return nil, err
	}
	if err := acc.CanPost(); err != nil {
		return nil, err
	}
	members, err := a.p.Reader.Members(ctx, acc.Room.ID, domain.ListQuery{Limit: max + 1})
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(members))
	for i, m := range members {
		ids[i] = m.UserID
	}
	return ids, nil
}
