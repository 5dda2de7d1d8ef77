package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/SherClockHolmes/webpush-go"
	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/modules/presence"
	"github.com/chatforge/chat/tests/e2e/harness"
)

// TestPushServiceSelfCheck proves the test push service against the
// library the worker uses, so a failure of TestWorkerPush is the worker's.
func TestPushServiceSelfCheck(t *testing.T) {
	ps := newPushService(t)
	sub := ps.subscribe(t)
	priv, pub, err := webpush.GenerateVAPIDKeys()
	if err != nil {
		t.Fatal(err)
	}
	res, err := webpush.SendNotification([]byte(`{"type":"message","preview":"hi"}`),
		&webpush.Subscription{Endpoint: sub.Endpoint, Keys: webpush.Keys{Auth: sub.Auth, P256dh: sub.P256DH}},
		&webpush.Options{Subscriber: "ops@example.com", VAPIDPublicKey: pub, VAPIDPrivateKey: priv, TTL: 60})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if got := ps.pushes(sub); res.StatusCode != http.StatusCreated || len(got) != 1 || got[0].Payload.Preview != "hi" {
		t.Fatalf("status %d, pushes %+v", res.StatusCode, got)
	}
}

// TestWorkerPush: a stored message reaches offline members of the room who
// have a subscription, as an encrypted, VAPID-signed push; online members
// get none; a 410 removes the subscription; a burst is collapsed and
// rate-limited.
func TestWorkerPush(t *testing.T) {
	priv, pub, err := webpush.GenerateVAPIDKeys()
	if err != nil {
		t.Fatal(err)
	}
	// The test push service listens on 127.0.0.1: private targets allowed.
	s := harness.NewStack(t, harness.Options{Env: map[string]string{"VAPID_PUBLIC_KEY": pub, "ALLOW_PRIVATE_WEBHOOKS": "true"}})
	ps := newPushService(t)
	startWorker(t, s, "worker-push", map[string]string{
		"ALLOW_PRIVATE_WEBHOOKS": "true",
		"SMTP_ADDR":              harness.FreeAddr(t), // no mail server: the sign-up mails just wait
		"VAPID_PUBLIC_KEY":       pub, "VAPID_PRIVATE_KEY": priv, "VAPID_SUBJECT": "mailto:ops@chatforge.test",
		"PUSH_COLLAPSE_WINDOW": "1s", "PUSH_RATE_PER_MINUTE": "3",
	})

	c := s.Client(t)
	alice, bob, carol, dave := newChat(t, s, c), newChat(t, s, c), newChat(t, s, c), newChat(t, s, c)
	var key struct {
		PublicKey string `json:"publicKey"`
	}
	bob.want(http.StatusOK, &key, http.MethodGet, "/api/push/vapid-public-key", nil)
	if key.PublicKey != pub {
		t.Errorf("vapid-public-key %q, want the configured %q", key.PublicKey, pub)
	}
	subs := map[string]*testSubscription{}
	for _, u := range []chat{bob, carol, dave} {
		sub := ps.subscribe(t)
		u.want(http.StatusCreated, nil, http.MethodPost, "/api/push/subscriptions", map[string]any{
			"endpoint": sub.Endpoint, "expirationTime": nil,
			"keys": map[string]string{"p256dh": sub.P256DH, "auth": sub.Auth},
		})
		subs[u.a.ID] = sub
	}
	ps.answer(subs[dave.a.ID], http.StatusGone)
	setOnline(t, s, carol.a.ID)

	var room chatRoom
	alice.want(http.StatusCreated, &room, http.MethodPost, "/api/chat/rooms", map[string]any{
		"name": "push-room", "kind": "private", "memberIds": []string{bob.a.ID, carol.a.ID, dave.a.ID},
	})
	var sent chatMessage
	alice.want(http.StatusCreated, &sent, http.MethodPost, "/api/chat/messages",
		map[string]any{"roomId": room.ID, "content": "hello   bob,\nthis is a push"})

	t.Run("offline member gets the message", func(t *testing.T) {
		eventually(t, 20*time.Second, "bob's push", func() bool { return len(ps.pushes(subs[bob.a.ID])) > 0 })
		p := ps.pushes(subs[bob.a.ID])[0]
		want := pushPayload{Type: "message", RoomID: room.ID, RoomName: "push-room", SenderID: alice.a.ID,
			Preview: "hello bob, this is a push", Count: 1, MessageID: sent.ID, Seq: sent.Seq}
		p.Payload.SenderName = "" // display name checked below
		if p.Payload != want {
			t.Errorf("push payload\n got %+v\nwant %+v", p.Payload, want)
		}
		if p.Topic != strings.ReplaceAll(room.ID, "-", "") || p.Urgency != "normal" {
			t.Errorf("Topic %q Urgency %q", p.Topic, p.Urgency)
		}
		if n := ps.pushes(subs[bob.a.ID])[0].Payload.SenderName; !strings.HasPrefix(n, "E2E ") {
			t.Errorf("senderName %q, want alice's display name", n)
		}
	})

	t.Run("410 removes the subscription", func(t *testing.T) {
		eventually(t, 20*time.Second, "dave's subscription to go", func() bool {
			var list struct {
				Items []struct{ ID string } `json:"items"`
			}
			dave.want(http.StatusOK, &list, http.MethodGet, "/api/push/subscriptions", nil)
			return len(list.Items) == 0
		})
	})

	t.Run("online member gets none", func(t *testing.T) {
		time.Sleep(2 * time.Second) // past the collapse window of the message
		if got := ps.pushes(subs[carol.a.ID]); len(got) != 0 {
			t.Errorf("online carol got %d pushes: %+v", len(got), got)
		}
	})

	// Only new messages notify: changes to one reach sockets as
	// message-updated, never as a push (ARCHITECTURE.md section 8).
	t.Run("an edit, a reaction or a delete sends no push", func(t *testing.T) {
		before := len(ps.pushes(subs[bob.a.ID]))
		path := "/api/chat/messages/" + sent.ID
		alice.want(http.StatusOK, nil, http.MethodPatch, path, map[string]any{"content": "hello bob, edited"})
		alice.want(http.StatusNoContent, nil, http.MethodPut, path+"/reactions/:tada:", nil)
		alice.want(http.StatusNoContent, nil, http.MethodDelete, path, nil)
		time.Sleep(3 * time.Second) // past the collapse window: a push would have gone
		if got := ps.pushes(subs[bob.a.ID]); len(got) != before {
			t.Errorf("bob got %d pushes for changes to a message: %+v", len(got)-before, got[before:])
		}
	})

	t.Run("a burst is collapsed and bounded", func(t *testing.T) {
		before := len(ps.pushes(subs[bob.a.ID]))
		for i := range 20 {
			alice.want(http.StatusCreated, nil, http.MethodPost, "/api/chat/messages",
				map[string]any{"roomId": room.ID, "content": fmt.Sprintf("burst %d", i)})
		}
		eventually(t, 20*time.Second, "a push about the burst", func() bool {
			return len(ps.pushes(subs[bob.a.ID])) > before
		})
		time.Sleep(3 * time.Second) // let any further pushes of the burst arrive
		got := ps.pushes(subs[bob.a.ID])[before:]
		// PUSH_RATE_PER_MINUTE=3, one spent on the first message: at most
		// two pushes for twenty messages, each covering several.
		if len(got) > 2 {
			t.Errorf("%d pushes for a burst of 20, want at most 2", len(got))
		}
		total := 0
		for _, p := range got {
			total += p.Payload.Count
		}
		if last := got[len(got)-1].Payload; last.Count < 2 || !strings.HasPrefix(last.Preview, "burst ") {
			t.Errorf("burst push %+v, want a collapsed count and a burst preview", last)
		}
		t.Logf("burst of 20 messages: %d pushes covering %d messages", len(got), total)
	})

	// A subscription lives as long as the session that registered it: a
	// stolen session's device must not keep receiving message previews
	// once that session is logged out (or revoked by a password reset).
	t.Run("no push after the subscribing session logs out", func(t *testing.T) {
		eve, frank := newChat(t, s, c), newChat(t, s, c)
		device := chat{t: t, c: c, a: s.Login(t, c, eve.a.Email, eve.a.Password)}
		eveSub, frankSub := ps.subscribe(t), ps.subscribe(t)
		for u, sub := range map[*chat]*testSubscription{&device: eveSub, &frank: frankSub} {
			u.want(http.StatusCreated, nil, http.MethodPost, "/api/push/subscriptions", map[string]any{
				"endpoint": sub.Endpoint, "keys": map[string]string{"p256dh": sub.P256DH, "auth": sub.Auth},
			})
		}
		device.want(http.StatusNoContent, nil, http.MethodPost, "/api/auth/logout", nil)
		var list struct {
			Items []struct{ ID string } `json:"items"`
		}
		eve.want(http.StatusOK, &list, http.MethodGet, "/api/push/subscriptions", nil)
		if len(list.Items) != 0 {
			t.Errorf("eve's other session lists %d subscriptions after the subscribing session logged out", len(list.Items))
		}

		var room chatRoom
		alice.want(http.StatusCreated, &room, http.MethodPost, "/api/chat/rooms", map[string]any{
			"name": "logout-room", "kind": "private", "memberIds": []string{eve.a.ID, frank.a.ID},
		})
		alice.want(http.StatusCreated, nil, http.MethodPost, "/api/chat/messages",
			map[string]any{"roomId": room.ID, "content": "not for a logged-out device"})
		// frank's push proves the message went through the push pipeline.
		eventually(t, 20*time.Second, "frank's push", func() bool { return len(ps.pushes(frankSub)) > 0 })
		time.Sleep(2 * time.Second) // past the collapse window
		if got := ps.pushes(eveSub); len(got) != 0 {
			t.Errorf("the logged-out session's device got %d pushes: %+v", len(got), got)
		}
	})
}

// setOnline marks a user online the way a gateway does for a live socket:
// a presence lease, renewed until the test ends.
func setOnline(t *testing.T, s *harness.Stack, userID string) {
	t.Helper()
	opt, err := redis.ParseURL(s.RedisURL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	pm, err := presence.New(presence.Deps{Redis: rdb})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	conn := presence.Conn{UserID: userID, ConnID: "e2e-" + userID}
	if err := pm.Connect(ctx, conn); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(pm.Timing().Heartbeat):
				_ = pm.Heartbeat(ctx, []presence.Conn{conn})
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-done; _ = rdb.Close() })
}
