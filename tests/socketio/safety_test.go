package socketio

import (
	"net/http"
	"testing"
	"time"
)

// TestSafetySocketIO: the refusals of ARCHITECTURE.md section 9 reach a
// socket.io-client's callbacks with the same codes as /ws: blocked (a
// direct room across a block), muted, and banned (join-room after a ban).
func TestSafetySocketIO(t *testing.T) {
	t.Parallel()
	s, gws := newStack(t, 1)
	c := s.Client(t)
	alice, bob, carol := user(t, s), user(t, s), user(t, s)
	do := func(token string, status int, method, path string, body any) []byte {
		t.Helper()
		res := c.Do(method, path, body, token)
		if res.Status != status {
			t.Fatalf("%s %s: %s, want %d", method, path, res, status)
		}
		return res.Body
	}
	dm := decode[struct {
		ID string `json:"id"`
	}](t, do(alice.AccessToken, http.StatusCreated, http.MethodPost, "/api/chat/direct", map[string]any{"userId": bob.ID}))
	room := createRoom(t, s, alice, bob.ID, carol.ID)
	public := decode[struct {
		ID string `json:"id"`
	}](t, do(alice.AccessToken, http.StatusCreated, http.MethodPost, "/api/chat/rooms",
		map[string]any{"name": "open", "kind": "public", "memberIds": []string{carol.ID}})).ID

	d := newDriver(t)
	b := d.connect("bob", gws[0].URL(), map[string]any{"transports": []string{"websocket"}, "auth": map[string]any{"token": bob.AccessToken}})
	b.waitEvent("ready", nil)
	b.call("join-room", map[string]any{"roomId": dm.ID})
	b.call("join-room", map[string]any{"roomId": room})
	cl := d.connect("carol", gws[0].URL(), map[string]any{"transports": []string{"polling"}, "auth": map[string]any{"token": carol.AccessToken}})
	cl.waitEvent("ready", nil)
	cl.call("join-room", map[string]any{"roomId": public})

	want := func(cli *client, event string, data map[string]any, code string) {
		t.Helper()
		e := decode[ackError](t, cli.call(event, data))
		if e.Error == nil || e.Error.Code != code {
			t.Fatalf("%s %v: %+v, want %s", event, data, e, code)
		}
	}

	do(alice.AccessToken, http.StatusNoContent, http.MethodPut, "/api/user/blocks/"+bob.ID, nil)
	want(b, "send-message", map[string]any{"roomId": dm.ID, "content": "hi", "clientMsgId": "sio-b1"}, "blocked")

	do(alice.AccessToken, http.StatusOK, http.MethodPost, "/api/chat/rooms/"+room+"/mutes",
		map[string]any{"userId": bob.ID, "until": time.Now().Add(time.Hour)})
	want(b, "send-message", map[string]any{"roomId": room, "content": "hi", "clientMsgId": "sio-b2"}, "muted")

	do(alice.AccessToken, http.StatusOK, http.MethodPost, "/api/chat/rooms/"+public+"/bans", map[string]any{"userId": carol.ID})
	want(cl, "join-room", map[string]any{"roomId": public}, "banned")
}
