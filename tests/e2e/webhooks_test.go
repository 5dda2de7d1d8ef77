package e2e

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/tests/e2e/harness"
)

// hookDelivery is one request the test receiver got, with its verdict.
type hookDelivery struct {
	Path, Delivery, Event string
	SignatureOK           bool
	Fresh                 bool // timestamp within 5 minutes
	Body                  struct {
		ID     string `json:"id"`
		Type   string `json:"type"`
		RoomID string `json:"roomId"`
		Data   struct {
			ID      string `json:"id"`
			Content string `json:"content"`
			UserID  string `json:"userId"`
		} `json:"data"`
	}
}

// hookReceiver verifies every delivery the way the README tells receivers
// to, and answers each path with the status set for it (200 by default).
type hookReceiver struct {
	*httptest.Server
	mu      sync.Mutex
	secrets map[string]string // path -> secret
	status  map[string]int
	got     []hookDelivery
}

func newHookReceiver(t *testing.T) *hookReceiver {
	r := &hookReceiver{secrets: map[string]string{}, status: map[string]int{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		d := hookDelivery{Path: req.URL.Path, Delivery: req.Header.Get("X-Chatforge-Delivery"), Event: req.Header.Get("X-Chatforge-Event")}
		ts := req.Header.Get("X-Chatforge-Timestamp")
		mac := hmac.New(sha256.New, []byte(r.secrets[req.URL.Path]))
		mac.Write([]byte(ts + "." + string(body)))
		want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
		d.SignatureOK = r.secrets[req.URL.Path] != "" && hmac.Equal([]byte(want), []byte(req.Header.Get("X-Chatforge-Signature")))
		if sec, err := strconv.ParseInt(ts, 10, 64); err == nil {
			age := time.Since(time.Unix(sec, 0))
			d.Fresh = age < 5*time.Minute && age > -5*time.Minute
		}
		_ = json.Unmarshal(body, &d.Body)
		r.got = append(r.got, d)
		st := r.status[req.URL.Path]
		if st == 0 {
			st = http.StatusOK
		}
		w.WriteHeader(st)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *hookReceiver) set(path, secret string, status int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secrets[path], r.status[path] = secret, status
}

func (r *hookReceiver) deliveries(path string) []hookDelivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []hookDelivery
	for _, d := range r.got {
		if d.Path == path {
			out = append(out, d)
		}
	}
	return out
}

type testWebhook struct {
	ID         string   `json:"id"`
	URL        string   `json:"url"`
	Events     []string `json:"events"`
	Secret     string   `json:"secret"`
	Failures   int      `json:"failures"`
	LastError  string   `json:"lastError"`
	DisabledAt string   `json:"disabledAt"`
}

// waitGroup waits until the worker's consumer group exists on every event
// stream: it starts at "$", so an event before it would never be seen.
func waitGroup(t *testing.T, s *harness.Stack, group string, partitions int) {
	t.Helper()
	opt, err := redis.ParseURL(s.RedisURL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	eventually(t, 15*time.Second, "consumer group "+group, func() bool {
		for p := range partitions {
			gs, err := rdb.XInfoGroups(context.Background(), fmt.Sprintf("chat:events:{%d}", p)).Result()
			found := false
			for _, g := range gs {
				found = found || g.Name == group
			}
			if err != nil || !found {
				return false
			}
		}
		return true
	})
}

// TestWebhooks: the room's owner registers hooks; every delivery carries a
// valid signature of "timestamp.body" and a fresh timestamp; a receiver
// answering 500 sees the same delivery retried, and after
// WEBHOOK_DISABLE_AFTER failed attempts the hook is disabled, gets nothing
// more, and works again once the owner enables it.
func TestWebhooks(t *testing.T) {
	s := harness.NewStack(t, harness.Options{Env: map[string]string{"ALLOW_PRIVATE_WEBHOOKS": "true"}})
	mp := startMailpit(t)
	startWorker(t, s, "worker-hooks", map[string]string{
		"ALLOW_PRIVATE_WEBHOOKS": "true",
		"SMTP_ADDR":              mp.SMTPAddr,
		"WEBHOOK_RETRY_BASE":     "100ms",
		"WEBHOOK_MAX_ATTEMPTS":   "10",
		"WEBHOOK_DISABLE_AFTER":  "3",
		"WEBHOOK_TIMEOUT":        "2s",
	})
	waitGroup(t, s, "webhooks", 4)
	rcv := newHookReceiver(t)
	c := s.Client(t)
	alice, bob, carol := newChat(t, s, c), newChat(t, s, c), newChat(t, s, c)
	room := alice.createRoom("private", bob.a.ID)
	hooksPath := "/api/chat/rooms/" + room.ID + "/webhooks"

	var ok, failing testWebhook
	alice.want(http.StatusCreated, &ok, http.MethodPost, hooksPath, map[string]any{"url": rcv.URL + "/ok", "events": []string{"message"}})
	alice.want(http.StatusCreated, &failing, http.MethodPost, hooksPath, map[string]any{"url": rcv.URL + "/fail", "events": []string{"message"}})
	if !strings.HasPrefix(ok.Secret, "whsec_") || ok.Secret == failing.Secret {
		t.Fatalf("secrets %q %q", ok.Secret, failing.Secret)
	}
	rcv.set("/ok", ok.Secret, http.StatusOK)
	rcv.set("/fail", failing.Secret, http.StatusInternalServerError)

	t.Run("only the owner, only public URLs", func(t *testing.T) {
		wantProblem(t, bob.do(http.MethodPost, hooksPath, map[string]any{"url": rcv.URL, "events": []string{"message"}}), http.StatusForbidden, "member")
		wantProblem(t, carol.do(http.MethodGet, hooksPath, nil), http.StatusNotFound, "outsider")
		wantProblem(t, alice.do(http.MethodPost, hooksPath, map[string]any{"url": "http://169.254.169.254/latest", "events": []string{"message"}}),
			http.StatusUnprocessableEntity, "metadata address", "url")
		wantProblem(t, alice.do(http.MethodPost, hooksPath, map[string]any{"url": rcv.URL, "events": []string{"typing"}}),
			http.StatusUnprocessableEntity, "unknown event", "events")
		var list struct {
			Items []testWebhook `json:"items"`
		}
		alice.want(http.StatusOK, &list, http.MethodGet, hooksPath, nil)
		if len(list.Items) != 2 || list.Items[0].Secret != "" {
			t.Errorf("hooks %+v: want 2, secrets never listed", list.Items)
		}
	})

	first := alice.send(room.ID, "hello hooks")
	t.Run("signed delivery", func(t *testing.T) {
		eventually(t, 15*time.Second, "delivery to /ok", func() bool { return len(rcv.deliveries("/ok")) >= 1 })
		d := rcv.deliveries("/ok")[0]
		if !d.SignatureOK || !d.Fresh || d.Event != "message" || d.Body.Type != "message" || d.Body.RoomID != room.ID ||
			d.Body.Data.ID != first.ID || d.Body.Data.Content != "hello hooks" || d.Delivery != d.Body.ID {
			t.Errorf("delivery %+v", d)
		}
	})

	t.Run("retried, then disabled", func(t *testing.T) {
		eventually(t, 20*time.Second, "the failing hook disabled", func() bool {
			var list struct {
				Items []testWebhook `json:"items"`
			}
			alice.want(http.StatusOK, &list, http.MethodGet, hooksPath, nil)
			for _, h := range list.Items {
				if h.ID == failing.ID {
					return h.DisabledAt != "" && h.Failures == 3 && strings.Contains(h.LastError, "500")
				}
			}
			return false
		})
		got := rcv.deliveries("/fail")
		if len(got) != 3 {
			t.Fatalf("failing hook got %d attempts, want 3", len(got))
		}
		for _, d := range got {
			if !d.SignatureOK || !d.Fresh || d.Delivery != got[0].Delivery || d.Body.Data.ID != first.ID {
				t.Errorf("retry %+v: want the same, validly signed delivery", d)
			}
		}
		second := alice.send(room.ID, "after disabling")
		eventually(t, 15*time.Second, "second delivery to /ok", func() bool { return len(rcv.deliveries("/ok")) >= 2 })
		time.Sleep(1500 * time.Millisecond) // a retry would be due by now
		if n := len(rcv.deliveries("/fail")); n != 3 {
			t.Errorf("disabled hook got %d attempts, want still 3", n)
		}
		if d := rcv.deliveries("/ok")[1]; d.Body.Data.ID != second.ID || !d.SignatureOK {
			t.Errorf("second delivery %+v", d)
		}
	})

	t.Run("the owner is told how to enable it", func(t *testing.T) {
		var mail mailSummary
		eventually(t, 20*time.Second, "the owner's e-mail", func() bool {
			for _, m := range mp.messagesTo(t, alice.a.Email) {
				if m.Subject == "A webhook of your room was disabled" {
					mail = m
					return true
				}
			}
			return false
		})
		d := mp.message(t, mail.ID)
		if want := "POST " + s.APIs[0].URL() + hooksPath + "/" + failing.ID + "/enable"; !strings.Contains(d.Text, want) {
			t.Errorf("mail text lacks %q:\n%s", want, d.Text)
		}
	})

	t.Run("enabled again", func(t *testing.T) {
		rcv.set("/fail", failing.Secret, http.StatusNoContent)
		var h testWebhook
		alice.want(http.StatusOK, &h, http.MethodPost, hooksPath+"/"+failing.ID+"/enable", nil)
		if h.DisabledAt != "" || h.Failures != 0 {
			t.Errorf("enabled hook %+v", h)
		}
		third := alice.send(room.ID, "back on")
		eventually(t, 15*time.Second, "delivery to the enabled hook", func() bool { return len(rcv.deliveries("/fail")) == 4 })
		if d := rcv.deliveries("/fail")[3]; d.Body.Data.ID != third.ID || !d.SignatureOK {
			t.Errorf("delivery after enabling %+v", d)
		}
		alice.want(http.StatusNoContent, nil, http.MethodDelete, hooksPath+"/"+failing.ID, nil)
		wantProblem(t, alice.do(http.MethodDelete, hooksPath+"/"+failing.ID, nil), http.StatusNotFound, "deleted twice")
	})
}
