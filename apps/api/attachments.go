package main

import (
	"context"
	"errors"

	"github.com/chatforge/chat/modules/attachments"
	"github.com/chatforge/chat/modules/messaging"
)

// roomAccess answers the attachments module's room question with the
// messaging module's read rule, translating its not-found.
type roomAccess struct{ chat *messaging.Module }

func (r *roomAccess) CanRead(ctx context.Context, userID, roomID string) error {
	return translate(r.chat.CanRead(ctx, userID, roomID))
}

func (r *roomAccess) CanPost(ctx context.Context, userID, roomID string) error {
	return translate(r.chat.CanPost(ctx, userID, roomID))
}

func translate(err error) error {
	switch {
	case errors.Is(err, messaging.ErrNotFound) || errors.Is(err, messaging.ErrInvalid):
		return attachments.ErrNotFound
	case errors.Is(err, messaging.ErrForbidden):
		return attachments.ErrForbidden
	}
	return err
}
