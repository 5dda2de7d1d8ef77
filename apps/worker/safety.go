package main

import (
	"context"
	"errors"

	"github.com/chatforge/chat/modules/messaging"
	"github.com/chatforge/chat/modules/moderation"
)

// moderationChat is the messaging module as automatic moderation's Chat:
// a message gone (deleted room) is moderation.ErrGone.
type moderationChat struct{ chat *messaging.Module }

func (m moderationChat) HideMessage(ctx context.Context, id, reason string) error {
	_, err := m.chat.HideMessage(ctx, id, clip(reason))
	return gone(err)
}

func (m moderationChat) OpenReport(ctx context.Context, id, reason string) error {
	_, err := m.chat.OpenReport(ctx, id, clip(reason))
	return gone(err)
}

func gone(err error) error {
	if errors.Is(err, messaging.ErrMessageNotFound) {
		return moderation.ErrGone
	}
	return err
}

// clip keeps a reason within the 500 characters messaging accepts.
func clip(s string) string {
	if r := []rune(s); len(r) > 500 {
		return string(r[:500])
	}
	return s
}
