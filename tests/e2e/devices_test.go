package e2e

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/SherClockHolmes/webpush-go"
	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/modules/presence"

	"github.com/chatforge/chat/tests/e2e/harness"
)

// syncAnswer is GET /api/chat/sync.
type syncAnswer struct {
	Token string `json:"token"`
	Full  bool   `json:"full"`
	Rooms []struct {
		RoomID  string `json:"roomId"`
		LastSeq int64  `json:"lastSeq"`
		Rev     int64  `json:"rev"`
		ReadSeq int64  `json:"readSeq"`
		Unread  int64  `json:"unread"`
	} `json:"rooms"`
	Left []string `json:"left"`
}

func (a syncAnswer) roomIDs() []string {
	var ids []string
	for _, r := range a.Rooms {
		ids = append(ids, r.RoomID)
	}
	slices.Sort(ids)
	return ids
}

// loginDevice opens another session of u named deviceName.
func loginDevice(t *testing.T, s *harness.Stack, c *harness.Client, u chat, deviceName string) chat {
	t.Helper()
	res := c.Do(http.MethodPost, "/api/auth/login", map[string]string{
		"email": u.a.Email, "password": u.a.Password, "deviceName": deviceName}, "")
	if res.Status != http.StatusOK {
		t.Fatalf("login %s: %s", deviceName, res)
	}
	var l struct {
		AccessToken string `json:"accessToken"`
	}
	res.JSON(t, &l)
	_, claims := harness.DecodeJWT(t, l.AccessToken)
	a := u.a
	a.AccessToken, a.SessionID = l.AccessToken, claims["sid"].(string)
	return chat{t: t, c: c, a: a}
}

// TestDevices: a session is a device. Reading on one device reaches the
// user's other sockets with the unread count, and drops the push of what
// was read; a device back from offline learns what changed in one sync.
func TestDevices(t *testing.T) {
	priv, pub, err := webpush.GenerateVAPIDKeys()
	if err != nil {
		t.Fatal(err)
	}
	s := harness.NewStack(t, harness.Options{Env: map[string]string{"VAPID_PUBLIC_KEY": pub, "ALLOW_PRIVATE_WEBHOOKS": "true"}})
	gw := startGateway(t, s, "gateway", nil)
	ps := newPushService(t)
	startWorker(t, s, "worker-devices", map[string]string{
		"ALLOW_PRIVATE_WEBHOOKS": "true", "SMTP_ADDR": harness.FreeAddr(t),
		"VAPID_PUBLIC_KEY": pub, "VAPID_PRIVATE_KEY": priv, "VAPID_SUBJECT": "mailto:ops@chatforge.test",
		"PUSH_COLLAPSE_WINDOW": "2s",
	})
	c := s.Client(t)
	alice, bob := newChat(t, s, c), newChat(t, s, c)
	phone := loginDevice(t, s, c, bob, "Bob's phone")

	t.Run("sessions list device names", func(t *testing.T) {
		var list []struct {
			ID         string `json:"id"`
			DeviceName string `json:"deviceName"`
		}
		bob.want(http.StatusOK, &list, http.MethodGet, "/api/user/sessions", nil)
		names := map[string]string{}
		for _, x := range list {
			names[x.ID] = x.DeviceName
		}
		if names[phone.a.SessionID] != "Bob's phone" || names[bob.a.SessionID] != "" || len(list) != 2 {
			t.Errorf("sessions %+v", list)
		}
		res := c.Do(http.MethodPost, "/api/auth/login", map[string]any{
			"email": bob.a.Email, "password": bob.a.Password, "deviceName": string(make([]byte, 65))}, "")
		if res.Status/100 != 4 {
			t.Errorf("a 65-byte device name: %s, want a 4xx", res)
		}
	})

	room := alice.createRoom("private", bob.a.ID)
	sub := ps.subscribe(t)
	phone.want(http.StatusCreated, nil, http.MethodPost, "/api/push/subscriptions", map[string]any{
		"endpoint": sub.Endpoint, "keys": map[string]string{"p256dh": sub.P256DH, "auth": sub.Auth},
	})

	t.Run("reading on one device reaches the other", func(t *testing.T) {
		desk := connect(t, gw.WS(), bob.a.AccessToken)
		mobile := connect(t, gw.WS(), phone.a.AccessToken) // joins no room: it shows the room list
		wa := connect(t, gw.WS(), alice.a.AccessToken)
		desk.join(t, room.ID, -1)
		wa.join(t, room.ID, -1)
		alice.send(room.ID, "one")
		alice.send(room.ID, "two")
		desk.collect(t, room.ID, 2)
		desk.send("mark-read", "r", map[string]any{"roomId": room.ID, "seq": 2})
		desk.expect(t, "ack")
		r := jsonOf[map[string]any](t, mobile.expect(t, "message-read").Data)
		if r["roomId"] != room.ID || r["userId"] != bob.a.ID || r["seq"] != 2.0 || r["unread"] != 0.0 {
			t.Errorf("the other device's message-read = %v, want seq 2 and unread 0", r)
		}
		// Other members learn the receipt, not bob's unread count.
		if r := jsonOf[map[string]any](t, wa.expect(t, "message-read").Data); r["seq"] != 2.0 || r["unread"] != nil {
			t.Errorf("alice's message-read = %v", r)
		}
		var v chatRoom
		phone.want(http.StatusOK, &v, http.MethodGet, "/api/chat/rooms/"+room.ID, nil)
		if v.UnreadCount == nil || *v.UnreadCount != 0 {
			t.Errorf("unreadCount on the phone = %v, want 0", v.UnreadCount)
		}
	})

	t.Run("no push for a message read on another device", func(t *testing.T) {
		// bob's sockets closed with the previous subtest: he is offline.
		eventually(t, 10*time.Second, "bob offline", func() bool { return !isOnline(t, s, bob.a.ID) })
		// Control: an unread message is pushed to the phone.
		m3 := alice.send(room.ID, "three")
		eventually(t, 20*time.Second, "the push of message 3", func() bool {
			for _, p := range ps.pushes(sub) {
				if p.Payload.Seq == m3.Seq {
					return true
				}
			}
			return false
		})
		before := len(ps.pushes(sub))
		// Read on the desktop (REST) within the collapse window: the push
		// scheduled for it must not go out.
		m4 := alice.send(room.ID, "four")
		bob.want(http.StatusOK, nil, http.MethodPost, "/api/chat/rooms/"+room.ID+"/read", map[string]any{"seq": m4.Seq})
		time.Sleep(5 * time.Second) // past the 2 s collapse window and its delivery
		if got := ps.pushes(sub)[before:]; len(got) != 0 {
			t.Errorf("%d pushes for a message already read: %+v", len(got), got)
		}
	})

	t.Run("the push of an encrypted message says only new message", func(t *testing.T) {
		var secret chatRoom
		alice.want(http.StatusCreated, &secret, http.MethodPost, "/api/chat/rooms", map[string]any{
			"name": "secret", "kind": "private", "memberIds": []string{bob.a.ID}, "encrypted": true})
		var m chatMessage
		alice.want(http.StatusCreated, &m, http.MethodPost, "/api/chat/messages", map[string]any{"roomId": secret.ID,
			"ciphertext": map[string]any{"algorithm": "test", "senderDeviceId": alice.a.SessionID,
				"recipients": map[string]string{phone.a.SessionID: "c2VhbGVk"}}})
		eventually(t, 20*time.Second, "the push of the encrypted message", func() bool {
			for _, p := range ps.pushes(sub) {
				if p.Payload.RoomID == secret.ID {
					if p.Payload.Preview != "New message" || p.Payload.MessageID != m.ID {
						t.Errorf("push %+v, want preview \"New message\"", p.Payload)
					}
					return true
				}
			}
			return false
		})
	})

	t.Run("sync after offline returns exactly what changed", func(t *testing.T) {
		carol := newChat(t, s, c)
		tablet := loginDevice(t, s, c, carol, "tablet")
		busy := alice.createRoom("private", carol.a.ID)    // new messages
		leaving := alice.createRoom("private", carol.a.ID) // carol leaves
		quiet := alice.createRoom("private", carol.a.ID)   // nothing happens
		edited := alice.createRoom("private", carol.a.ID)  // a message is edited
		alice.send(busy.ID, "b1")
		e1 := alice.send(edited.ID, "e1")
		alice.send(quiet.ID, "q1")

		var first syncAnswer
		tablet.want(http.StatusOK, &first, http.MethodGet, "/api/chat/sync", nil)
		want := []string{globalRoomID, busy.ID, leaving.ID, quiet.ID, edited.ID}
		slices.Sort(want)
		if !first.Full || !slices.Equal(first.roomIDs(), want) || len(first.Left) != 0 || first.Token == "" {
			t.Fatalf("first sync = %+v, want every room of carol's", first)
		}

		// The tablet is offline while things change.
		alice.send(busy.ID, "b2")
		alice.send(busy.ID, "b3")
		carol.want(http.StatusOK, nil, http.MethodPost, "/api/chat/rooms/"+busy.ID+"/read", map[string]any{"seq": 2})
		carol.want(http.StatusNoContent, nil, http.MethodPost, "/api/chat/rooms/"+leaving.ID+"/leave", nil)
		joined := alice.createRoom("private", carol.a.ID)
		alice.want(http.StatusOK, nil, http.MethodPatch, "/api/chat/messages/"+e1.ID, map[string]any{"content": "e1!"})

		var next syncAnswer
		tablet.want(http.StatusOK, &next, http.MethodGet, "/api/chat/sync?since="+first.Token, nil)
		want = []string{busy.ID, joined.ID, edited.ID}
		slices.Sort(want)
		if next.Full || !slices.Equal(next.roomIDs(), want) || !slices.Equal(next.Left, []string{leaving.ID}) {
			t.Fatalf("sync since = rooms %v left %v full %v, want rooms %v left [%s]", next.roomIDs(), next.Left, next.Full, want, leaving.ID)
		}
		for _, r := range next.Rooms {
			switch r.RoomID {
			case busy.ID:
				if r.LastSeq != 3 || r.ReadSeq != 2 || r.Unread != 1 || r.Rev != 3 {
					t.Errorf("busy room %+v, want lastSeq 3 rev 3 readSeq 2 unread 1", r)
				}
			case edited.ID:
				if r.LastSeq != 1 || r.Rev != 2 || r.Unread != 1 {
					t.Errorf("edited room %+v, want lastSeq 1 rev 2 unread 1", r)
				}
			case joined.ID:
				if r.LastSeq != 0 || r.Unread != 0 {
					t.Errorf("joined room %+v", r)
				}
			}
		}

		var none syncAnswer
		tablet.want(http.StatusOK, &none, http.MethodGet, "/api/chat/sync?since="+next.Token, nil)
		if none.Full || len(none.Rooms) != 0 || len(none.Left) != 0 {
			t.Errorf("sync with nothing changed = %+v", none)
		}
		// Another user's token is unknown to carol: a full state.
		var stranger syncAnswer
		alice.want(http.StatusOK, &stranger, http.MethodGet, "/api/chat/sync", nil)
		var unknown syncAnswer
		tablet.want(http.StatusOK, &unknown, http.MethodGet, "/api/chat/sync?since="+stranger.Token, nil)
		if !unknown.Full || len(unknown.Left) != 0 || len(unknown.Rooms) != 5 {
			t.Errorf("sync with an unknown token = full %v, %d rooms, left %v; want the full state of 5 rooms", unknown.Full, len(unknown.Rooms), unknown.Left)
		}
	})
}

// isOnline asks presence (Redis) whether the user has a live connection.
func isOnline(t *testing.T, s *harness.Stack, userID string) bool {
	t.Helper()
	opt, err := redis.ParseURL(s.RedisURL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	pm, err := presence.New(presence.Deps{Redis: rdb})
	if err != nil {
		t.Fatal(err)
	}
	p, err := pm.Status(t.Context(), userID)
	if err != nil {
		t.Fatal(err)
	}
	return p.Online
}
