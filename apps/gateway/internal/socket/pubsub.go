package socket

import (
	"context"
	"slices"
	"time"

	"github.com/chatforge/chat/apps/gateway/internal/hub"
	"github.com/chatforge/chat/apps/gateway/internal/protocol"
	"github.com/chatforge/chat/modules/messaging/wire"
	"github.com/chatforge/chat/modules/presence"
	"github.com/chatforge/chat/platform/authn"
)

// runPubSub subscribes to session revocations, presence changes and typing
// indicators, and applies them to the local sockets. go-redis reconnects
// and resubscribes by itself; what is published meanwhile is lost, which
// the heartbeat's revocation re-check and the typing/presence TTLs cover.
func (g *Gateway) runPubSub(ctx context.Context) error {
	pcfg := g.Presence.Config()
	ps := g.Redis.Subscribe(ctx, authn.RevokedChannel, pcfg.EventsChannel, pcfg.TypingChannel, wire.BlocksChannel)
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
			case wire.BlocksChannel:
				// In the loop, not a goroutine: typing published after the
				// block is then filtered by the new set (rare, one read).
				if conns := g.hub.User(msg.Payload); len(conns) > 0 {
					g.reloadBlocks(conns)
				}
			case pcfg.EventsChannel:
				e, err := presence.DecodeEvent([]byte(msg.Payload))
				if err != nil {
					g.Metrics.EventsFailed.Inc()
					continue
				}
				g.onPresence(e)
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

// PresenceRoomMax is the most users announced online in one room for its
// presence to be pushed: in a larger room, online/offline changes and the
// snapshot at join-room are not sent (clients ask over REST), so that a
// big room costs no quadratic fan-out of presence frames.
const PresenceRoomMax = 100

// onPresence delivers a presence change to the local sockets that share a
// room other than the global room with the user (apps/gateway/README.md,
// "Presence and typing"):
//   - an online with rooms (AnnounceRooms, published when a socket of the
//     user completes a join-room) goes to the sockets in the rooms where
//     the user was not announced yet, and is remembered;
//   - an offline goes to the sockets in every room the user was announced
//     in, whichever gateway published it (a sweep of a dead gateway's
//     leases included), and the user is forgotten;
//   - an online without rooms (a lease taken, at connect or after a
//     sweep) goes to nobody: the user has joined no room yet, or, if a
//     local socket of theirs has (the lease was swept while it lived), its
//     rooms are announced again.
func (g *Gateway) onPresence(e presence.Event) {
	switch {
	case e.Online && len(e.Rooms) > 0:
		rooms := g.prooms.Add(e.UserID, e.Rooms)
		rooms = slices.DeleteFunc(rooms, func(r string) bool {
			return r == protocol.GlobalRoomID || g.prooms.Count(r) > PresenceRoomMax
		})
		if len(rooms) > 0 {
			g.hub.DeliverRooms(rooms, e.UserID, protocol.Presence(e.UserID, true, time.Time{}))
		}
	case e.Online:
		var rooms []string
		for _, c := range g.hub.User(e.UserID) {
			for _, r := range c.AuthorizedRooms() {
				if r != protocol.GlobalRoomID && !slices.Contains(rooms, r) && !g.prooms.Has(e.UserID, r) {
					rooms = append(rooms, r)
				}
			}
		}
		if len(rooms) > 0 {
			go g.announce(e.UserID, rooms)
		}
	default:
		var rooms []string
		for r, n := range g.prooms.Remove(e.UserID) {
			if n <= PresenceRoomMax {
				rooms = append(rooms, r)
			}
		}
		if len(rooms) > 0 {
			g.hub.DeliverRooms(rooms, e.UserID, protocol.Presence(e.UserID, false, e.LastSeen))
		}
	}
}

// onJoined runs when a join-room completed on c (hub.Config.OnJoined, on
// the socket's reader goroutine, after the ack): the socket gets the
// presence of the users announced online in the room (unless it is
// larger than PresenceRoomMax), and the user is announced in the room to
// every gateway unless they were already.
func (g *Gateway) onJoined(c *hub.Conn, room string) {
	if room == protocol.GlobalRoomID {
		return
	}
	n := 0
	for _, u := range g.prooms.Online(room, PresenceRoomMax) {
		if u != c.UserID && !c.Blocks(u) && c.Send(protocol.Presence(u, true, time.Time{})) {
			n++
		}
	}
	g.Metrics.FramesOut(n)
	if !g.prooms.Has(c.UserID, room) {
		// Synchronous: the announce must reach Redis before this socket's
		// disconnect (same goroutine) can publish the user's offline.
		g.announce(c.UserID, []string{room})
	}
}

// announce publishes that user is online in rooms.
func (g *Gateway) announce(user string, rooms []string) {
	ctx, cancel := context.WithTimeout(g.life, 2*time.Second)
	defer cancel()
	if err := g.Presence.AnnounceRooms(ctx, user, rooms); err != nil && g.life.Err() == nil {
		g.Log.Warn("presence announce failed", "user", user, "err", err)
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

// loadBlocks reads whom c's user blocks (wire.BlocksKey, kept by the api)
// so their typing and presence are not delivered to c. A failure is
// logged and leaves the set as it was: the next change published reloads
// it.
func (g *Gateway) loadBlocks(ctx context.Context, c *hub.Conn) {
	ids, err := g.Redis.SMembers(ctx, wire.BlocksKey(c.UserID)).Result()
	if err != nil {
		g.Log.Warn("blocks load failed", "conn", c.ID, "err", err)
		return
	}
	c.SetBlocked(ids)
}

// reloadBlocks reloads the blocks of a user's local connections after the
// api published a change (one read serves them all).
func (g *Gateway) reloadBlocks(conns []*hub.Conn) {
	ctx, cancel := context.WithTimeout(g.life, 2*time.Second)
	defer cancel()
	ids, err := g.Redis.SMembers(ctx, wire.BlocksKey(conns[0].UserID)).Result()
	if err != nil {
		g.Log.Warn("blocks reload failed", "user", conns[0].UserID, "err", err)
		return
	}
	for _, c := range conns {
		c.SetBlocked(ids)
	}
}
