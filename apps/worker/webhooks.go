package main

import (
	"context"
	"log/slog"

	"github.com/chatforge/chat/modules/webhooks"
)

// webhookAlerts tells a room's owner that a webhook was disabled.
type webhookAlerts struct{ log *slog.Logger }

func (a webhookAlerts) Disabled(ctx context.Context, w webhooks.Webhook) error {
	a.log.WarnContext(ctx, "webhook disabled; its room's owner can enable it again with POST /api/chat/rooms/{id}/webhooks/{webhookId}/enable",
		"room_id", w.RoomID, "webhook_id", w.ID, "owner_id", w.CreatedBy, "failures", w.Failures, "last_error", w.LastError)
	return nil
}
