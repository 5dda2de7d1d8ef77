package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/chatforge/chat/modules/messaging"
	"github.com/chatforge/chat/modules/moderation"
	"github.com/chatforge/chat/modules/webhooks"
)

// webhookAlerts tells a room's owner that a webhook was disabled.
type webhookAlerts struct{ log *slog.Logger }

func (a webhookAlerts) Disabled(ctx context.Context, w webhooks.Webhook) error {
	a.log.WarnContext(ctx, "webhook disabled; its room's owner can enable it again with POST /api/chat/rooms/{id}/webhooks/{webhookId}/enable",
		"room_id", w.RoomID, "webhook_id", w.ID, "owner_id", w.CreatedBy, "failures", w.Failures, "last_error", w.LastError)
	return nil
}

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
