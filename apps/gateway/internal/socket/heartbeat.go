package socket

import (
	"context"
	"time"

	"github.com/chatforge/chat/apps/gateway/internal/hub"
	"github.com/chatforge/chat/modules/presence"
)

// runHeartbeats renews the presence leases of every local socket each
// presence heartbeat period, so a user stays online while connected and
// goes offline within the TTL when this gateway dies. A socket that closes
// after being listed here is not brought back online: heartbeats only renew
// existing leases (presence.Module.Heartbeat). The same tick
// renews the sockets' leases of the per-user socket limit and re-checks
// the revocation of every local session, in case a revocation
// message was published while pub/sub was reconnecting.
func (g *Gateway) runHeartbeats(ctx context.Context) error {
	t := time.NewTicker(g.Presence.Timing().Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		var conns []presence.Conn
		g.hub.Each(func(c *hub.Conn) { conns = append(conns, presence.Conn{UserID: c.UserID, ConnID: c.ID}) })
		hctx, cancel := context.WithTimeout(ctx, g.Presence.Timing().Heartbeat)
		if err := g.Presence.Heartbeat(hctx, conns); err != nil && ctx.Err() == nil {
			g.Log.Warn("presence heartbeat failed", "connections", len(conns), "err", err)
		}
		if g.Sockets != nil {
			if err := g.Sockets.Renew(hctx, leases(conns)); err != nil && ctx.Err() == nil {
				g.Log.Warn("socket lease renewal failed", "connections", len(conns), "err", err)
			}
		}
		for _, sid := range g.hub.Sessions() {
			if revoked, err := g.Revocations.IsRevoked(hctx, sid); err == nil && revoked {
				g.revoke(sid)
			}
		}
		cancel()
	}
}
