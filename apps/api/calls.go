package main

import (
	"context"
	"errors"

	"github.com/chatforge/chat/modules/calls"
	"github.com/chatforge/chat/modules/messaging"
)

// callRooms and callHistory are the messaging module as the calls
// module's Rooms and History ports, translating its refusals.
type callRooms struct{ chat *messaging.Module }

func (r callRooms) MemberIDs(ctx context.Context, userID, roomID string, max int) ([]string, error) {
	ids, err := r.chat.MemberIDs(ctx, userID, roomID, max)
	return ids, callError(err)
}

type callHistory struct{ chat *messaging.Module }

func (h callHistory) RecordCall(ctx context.Context, callerID, roomID, key string, record []byte) error {
	_, err := h.chat.RecordCall(ctx, callerID, roomID, key, record)
	return callError(err)
}

func callError(err error) error {
	switch {
	case errors.Is(err, messaging.ErrNotFound) || errors.Is(err, messaging.ErrInvalid):
		return calls.ErrNotFound
	case errors.Is(err, messaging.ErrForbidden):
		return calls.ErrForbidden
	}
	return err
}
