package socketio

import (
	"encoding/json"
	"testing"
	"time"
)

// TestChatAcrossTransports: a websocket client (auth.token) on one gateway
// and a polling-only client (Authorization header) on the other: join with
// ack, send with ack, receive across gateways, typing, presence, mark-read,
// and the v1 errors in the callback.
func TestChatAcrossTransports(t *testing.T) {
	t.Parallel()
	s, gws := newStack(t, 2)
	alice, bob := user(t, s), user(t, s)
	room := createRoom(t, s, alice, bob.ID)
	d := newDriver(t)

	a := d.connect("alice", gws[0].URL(), map[string]any{"transports": []string{"websocket"}, "auth": map[string]any{"token": alice.AccessToken}})
	if e := a.waitType("connect"); e.Transport != "websocket" {
		t.Fatalf("alice transport %q", e.Transport)
	}
	ready := decode[struct{ UserID, SessionID, ConnectionID string }](t, a.waitEvent("ready", nil).Data)
	if ready.UserID != alice.ID || ready.SessionID != alice.SessionID || ready.ConnectionID == "" {
		t.Fatalf("ready %+v", ready)
	}
	join := decode[struct {
		RoomID  string `json:"roomId"`
		LastSeq int64  `json:"lastSeq"`
	}](t, a.call("join-room", map[string]any{"roomId": room}))
	if join.RoomID != room {
		t.Fatalf("join ack %+v", join)
	}

	b := d.connect("bob", gws[1].URL(), map[string]any{"transports": []string{"polling"}, "extraHeaders": map[string]string{"Authorization": "Bearer " + bob.AccessToken}})
	if e := b.waitType("connect"); e.Transport != "polling" {
		t.Fatalf("bob transport %q", e.Transport)
	}
	b.waitEvent("ready", nil)
	b.call("join-room", map[string]any{"roomId": room})
	// Alice sees Bob come online.
	a.waitEvent("presence", func(raw json.RawMessage) bool {
		p := decode[struct{ UserID, Status string }](t, raw)
		return p.UserID == bob.ID && p.Status == "online"
	})

	sent := decode[message](t, a.call("send-message", map[string]any{"roomId": room, "content": "hello over socket.io", "clientMsgId": "c-1"}))
	if sent.ID == "" || sent.Seq <= 0 || sent.RoomID != room {
		t.Fatalf("send ack %+v", sent)
	}
	got := decode[message](t, b.waitEvent("receive-message", func(raw json.RawMessage) bool {
		return decode[message](t, raw).ID == sent.ID
	}).Data)
	if got.Content != "hello over socket.io" || got.UserID != alice.ID || got.Seq != sent.Seq {
		t.Fatalf("bob received %+v", got)
	}

	b.emit("typing-start", map[string]any{"roomId": room})
	a.waitEvent("typing-start", func(raw json.RawMessage) bool {
		return decode[struct{ UserID string }](t, raw).UserID == bob.ID
	})

	read := decode[struct {
		RoomID string `json:"roomId"`
		Seq    int64  `json:"seq"`
	}](t, b.call("mark-read", map[string]any{"roomId": room, "seq": sent.Seq}))
	if read.Seq != sent.Seq {
		t.Fatalf("mark-read ack %+v", read)
	}
	a.waitEvent("message-read", func(raw json.RawMessage) bool {
		r := decode[struct {
			UserID string `json:"userId"`
			Seq    int64  `json:"seq"`
		}](t, raw)
		return r.UserID == bob.ID && r.Seq == sent.Seq
	})

	// Errors reach the callback as {error: {code, message}}.
	e := decode[ackError](t, a.call("send-message", map[string]any{"roomId": room}))
	if e.Error == nil || e.Error.Code != "bad_request" {
		t.Fatalf("send without content: %+v", e)
	}
	e = decode[ackError](t, a.call("join-room", map[string]any{"roomId": "8d4d1e58-0000-4000-8000-000000000000"}))
	if e.Error == nil || e.Error.Code != "not_found" {
		t.Fatalf("join of an unknown room: %+v", e)
	}
}

// TestUpgradeAndQueryAuth: the default client (polling, then the upgrade
// to websocket) authenticated by ?access_token=.
func TestUpgradeAndQueryAuth(t *testing.T) {
	t.Parallel()
	s, gws := newStack(t, 1)
	u := user(t, s)
	d := newDriver(t)
	c := d.connect("c", gws[0].URL(), map[string]any{"query": map[string]string{"access_token": u.AccessToken}})
	if e := c.waitType("connect"); e.Transport != "polling" {
		t.Fatalf("first transport %q", e.Transport)
	}
	c.waitEvent("ready", nil)
	// The upgrade may be reported before the connect (a busy machine): look
	// for it from the start of the client's events.
	from := 0
	up := d.waitFor(&from, 15*time.Second, "c: upgrade", func(e sioEvent) bool { return e.ID == "c" && e.Type == "upgrade" })
	if up.Transport != "websocket" {
		t.Fatalf("upgraded to %q", up.Transport)
	}
	c.call("join-room", map[string]any{"roomId": globalRoomID})
	m := decode[message](t, c.call("send-message", map[string]any{"content": "after the upgrade"}))
	got := decode[message](t, c.waitEvent("receive-message", nil).Data)
	if got.ID != m.ID {
		t.Fatalf("received %+v, sent %+v", got, m)
	}
}

// TestRefusedConnections: a bad token and no token get connect_error
// {message, data: {code: "unauthorized"}}; another namespace is refused.
func TestRefusedConnections(t *testing.T) {
	t.Parallel()
	_, gws := newStack(t, 1)
	d := newDriver(t)
	for _, tc := range []struct {
		id   string
		opts map[string]any
	}{
		{"bad", map[string]any{"auth": map[string]any{"token": "not-a-jwt"}}},
		{"none", map[string]any{"transports": []string{"websocket"}}},
	} {
		c := d.connect(tc.id, gws[0].URL(), tc.opts)
		e := c.waitType("connect_error")
		data := decode[struct{ Code string }](t, e.Data)
		if data.Code != "unauthorized" || e.Message == "" {
			t.Fatalf("%s: connect_error %+v", tc.id, e)
		}
	}
}
