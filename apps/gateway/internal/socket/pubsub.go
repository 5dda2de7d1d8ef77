package socket

import (
	"context"
	"time"

	"github.com/chatforge/chat/apps/gateway/internal/protocol"
	"github.com/chatforge/chat/modules/presence"
	"github.com/chatforge/chat/platform/authn"
)

// runPubSub subscribes to session revocations, presence changes and typing
// indicators, and applies them to the local sockets. go-redis reconnects
// and resubscribes by itself; what is published meanwhile is lost, which
// the heartbeat's revocation re-check and the typing/presence TTLs cover.
func (g *Gateway) runPubSub(ctx context.Context) error {
	pcfg := g.Presence.Config()
	ps := g.Redis.Subscribe(ctx, authn.RevokedChannel, pcfg.EventsChannel, pcfg.TypingChannel)
	defer ps.Close()
	for ctx.Err() == nil {
		if _, err := ps.Receive(ctx); err == nil {
			break // subscribed
		} else if ctx.Err() == nil {
			g.Log.Warn("pub/sub subscribe failed", "err", err)
			time.Sleep(500 * time.Millisecond)
		}
	}
	g.pubsubOK.Store(true)
	ch := ps.Channel()
	for {
		select {
		case <-ctx.Done():
			return nil
		case msg, ok := <-ch:
			if !ok {
				return nil
			}
			switch msg.Channel {
			case authn.RevokedChannel:
				g.revoke(msg.Payload)
			case pcfg.EventsChannel:
				e, err := presence.DecodeEvent([]byte(msg.Payload))
				if err != nil {
					g.Metrics.EventsFailed.Inc()
					continue
				}
				// Everyone shares the global room with everyone, so a
				// presence change concerns every socket.
				g.hub.DeliverAll(protocol.Presence(e.UserID, e.Online, e.LastSeen))
			case pcfg.TypingChannel:
				t, err := presence.DecodeTyping([]byte(msg.Payload))
				if err != nil {
					g.Metrics.EventsFailed.Inc()
					continue
				}
				if g.typing.Apply(t, g.Now()) {
					g.deliverTyping(t)
				}
			}
		}
	}
}

// revoke closes the local sockets of a revoked session with 4001.
func (g *Gateway) revoke(sessionID string) {
	for _, c := range g.hub.Session(sessionID) {
		c.Close(protocol.CloseUnauthorized, "session revoked")
	}
}

func (g *Gateway) deliverTyping(t presence.Typing) {
	event := protocol.EventTypingStop
	if t.Active {
		event = protocol.EventTypingStart
	}
	// Not to the typer's own sockets: typing is never echoed.
	g.hub.DeliverRoom(t.RoomID, t.UserID, protocol.TypingFrame(event, t.UserID, t.RoomID))
}

// runTypingExpiry ends typing indicators not refreshed within TypingTTL
// (the typer's stop was lost, or its gateway died).
func (g *Gateway) runTypingExpiry(ctx context.Context) error {
	t := time.NewTicker(max(g.cfg.TypingTTL/10, 100*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			for _, ty := range g.typing.Expire(g.Now()) {
				g.deliverTyping(ty)
			}
		}
	}
}
