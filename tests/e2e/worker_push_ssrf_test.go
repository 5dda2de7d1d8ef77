package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/SherClockHolmes/webpush-go"

	"github.com/chatforge/chat/tests/e2e/harness"
)

// TestPushEndpointSSRF: without ALLOW_PRIVATE_WEBHOOKS the api refuses
// push endpoints that lead into the internal network (400, field error on
// endpoint), whatever the scheme.
func TestPushEndpointSSRF(t *testing.T) {
	s := harness.NewStack(t, harness.Options{})
	c := s.Client(t)
	u := newChat(t, s, c)
	ps := newPushService(t) // for valid keys
	sub := ps.subscribe(t)
	for _, endpoint := range []string{
		"https://127.0.0.1:8443/push/x",
		"http://127.0.0.1:9/push/x", // APP_ENV=test admits http, not loopback
		"https://169.254.169.254/latest/meta-data/",
		"https://[::1]/push/x",
		"https://[::ffff:127.0.0.1]/push/x",
		"https://10.0.0.8/push/x",
		"https://[fd00:ec2::254]/push/x",
		"https://localhost:8443/push/x",
	} {
		res := u.do(http.MethodPost, "/api/push/subscriptions", map[string]any{
			"endpoint": endpoint, "keys": map[string]string{"p256dh": sub.P256DH, "auth": sub.Auth},
		})
		if res.Status != http.StatusBadRequest {
			t.Errorf("POST endpoint %s: %s, want 400", endpoint, res)
			continue
		}
		if p := res.Problem(t); len(p.Errors) != 1 || p.Errors[0].Field != "endpoint" {
			t.Errorf("POST endpoint %s: problem %+v, want one field error on endpoint", endpoint, p)
		}
	}
	var list struct {
		Items []struct{ ID string } `json:"items"`
	}
	u.want(http.StatusOK, &list, http.MethodGet, "/api/push/subscriptions", nil)
	if len(list.Items) != 0 {
		t.Errorf("%d subscriptions stored", len(list.Items))
	}
}

// TestWorkerPushRefusesStoredPrivateEndpoint: a subscription already stored
// with an internal endpoint (here: the api allows it, the worker does not)
// is never dialled by the worker, and is removed rather than retried.
func TestWorkerPushRefusesStoredPrivateEndpoint(t *testing.T) {
	priv, pub, err := webpush.GenerateVAPIDKeys()
	if err != nil {
		t.Fatal(err)
	}
	s := harness.NewStack(t, harness.Options{Env: map[string]string{"VAPID_PUBLIC_KEY": pub, "ALLOW_PRIVATE_WEBHOOKS": "true"}})
	ps := newPushService(t)
	startWorker(t, s, "worker-ssrf", map[string]string{
		"SMTP_ADDR":        harness.FreeAddr(t),
		"VAPID_PUBLIC_KEY": pub, "VAPID_PRIVATE_KEY": priv, "VAPID_SUBJECT": "mailto:ops@chatforge.test",
		"PUSH_COLLAPSE_WINDOW": "1s",
	})
	c := s.Client(t)
	alice, bob := newChat(t, s, c), newChat(t, s, c)
	sub := ps.subscribe(t)
	bob.want(http.StatusCreated, nil, http.MethodPost, "/api/push/subscriptions", map[string]any{
		"endpoint": sub.Endpoint, "keys": map[string]string{"p256dh": sub.P256DH, "auth": sub.Auth},
	})
	var room chatRoom
	alice.want(http.StatusCreated, &room, http.MethodPost, "/api/chat/rooms", map[string]any{
		"name": "ssrf-room", "kind": "private", "memberIds": []string{bob.a.ID},
	})
	alice.want(http.StatusCreated, nil, http.MethodPost, "/api/chat/messages",
		map[string]any{"roomId": room.ID, "content": "must not reach 127.0.0.1"})

	eventually(t, 20*time.Second, "the refused subscription to be removed", func() bool {
		var list struct {
			Items []struct{ ID string } `json:"items"`
		}
		bob.want(http.StatusOK, &list, http.MethodGet, "/api/push/subscriptions", nil)
		return len(list.Items) == 0
	})
	if got := ps.pushes(sub); len(got) != 0 {
		t.Fatalf("the local push service got %d pushes", len(got))
	}
}
