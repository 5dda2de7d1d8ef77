package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatforge/chat/tests/e2e/harness"
)

// modMessage is a message with its moderation state.
type modMessage struct {
	ID         string `json:"id"`
	Content    string `json:"content"`
	Moderation *struct {
		Status string `json:"status"`
		Reason string `json:"reason"`
	} `json:"moderation"`
}

type modReport struct {
	ID         string  `json:"id"`
	MessageID  string  `json:"messageId"`
	ReporterID *string `json:"reporterId"`
	Reason     string  `json:"reason"`
	Status     string  `json:"status"`
}

// modHistory is a room's history as u sees it, by message id.
func modHistory(u chat, room string) map[string]modMessage {
	var page chatPage[modMessage]
	u.want(http.StatusOK, &page, http.MethodGet, "/api/chat/messages?roomId="+room+"&limit=100", nil)
	out := map[string]modMessage{}
	for _, m := range page.Items {
		out[m.ID] = m
	}
	return out
}

func modReports(u chat, room string) map[string]modReport {
	var page chatPage[modReport]
	u.want(http.StatusOK, &page, http.MethodGet, "/api/chat/rooms/"+room+"/reports", nil)
	out := map[string]modReport{}
	for _, r := range page.Items {
		out[r.MessageID] = r
	}
	return out
}

// waitHidden waits until the owner sees message id hidden and returns it.
func waitHidden(t *testing.T, owner chat, room, id string) modMessage {
	t.Helper()
	var m modMessage
	eventually(t, 15*time.Second, "message "+id+" hidden", func() bool {
		m = modHistory(owner, room)[id]
		return m.Moderation != nil && m.Moderation.Status == "hidden"
	})
	return m
}

// TestAutomaticModerationWords: with blocked words from
// MODERATION_BLOCKED_WORDS and MODERATION_WORDS_FILE, a message using one
// is hidden (moderation on the message, message-updated to the room,
// content withheld from members who are not moderators) and reported to the
// room's moderators; messages dodging the list with case, accents,
// separators or leetspeak are caught too; clean ones are left alone.
func TestAutomaticModerationWords(t *testing.T) {
	words := filepath.Join(t.TempDir(), "words.txt")
	if err := os.WriteFile(words, []byte("# house list\nscam link\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := harness.NewStack(t, harness.Options{})
	startWorker(t, s, "worker-automod", map[string]string{
		"SMTP_ADDR":                harness.FreeAddr(t),
		"MODERATION_BLOCKED_WORDS": "frogspawn, toadstool",
		"MODERATION_WORDS_FILE":    words,
	})
	waitGroup(t, s, "moderation", 4)
	gw := startGateway(t, s, "gateway-automod", nil)
	c := s.Client(t)
	alice, bob := newChat(t, s, c), newChat(t, s, c)
	room := alice.createRoom("private", bob.a.ID)
	sock := connect(t, gw.WS(), alice.a.AccessToken)
	sock.join(t, room.ID, 0)

	clean := bob.send(room.ID, "a frog and its spawn, a toad on a stool")
	plain := bob.send(room.ID, "buy frogspawn here")

	t.Run("hidden, announced and reported", func(t *testing.T) {
		m := waitHidden(t, alice, room.ID, plain.ID)
		if m.Content != "buy frogspawn here" || !strings.Contains(m.Moderation.Reason, "frogspawn") {
			t.Errorf("owner sees %+v", m)
		}
		b := modHistory(bob, room.ID)[plain.ID]
		if b.Moderation == nil || b.Moderation.Status != "hidden" || b.Content != "" {
			t.Errorf("member sees %+v: want hidden, content withheld", b)
		}
		for {
			f := sock.expect(t, "message-updated")
			var u modMessage
			if err := json.Unmarshal(f.Data, &u); err != nil {
				t.Fatal(err)
			}
			if u.ID == plain.ID {
				if u.Moderation == nil || u.Moderation.Status != "hidden" {
					t.Errorf("message-updated %s", f.Data)
				}
				break
			}
		}
		r, ok := modReports(alice, room.ID)[plain.ID]
		if !ok || r.Status != "open" || r.ReporterID != nil || !strings.Contains(r.Reason, "frogspawn") {
			t.Errorf("report %+v (found %v): want an open automatic report", r, ok)
		}
	})

	t.Run("dodges caught", func(t *testing.T) {
		for _, text := range []string{
			"FrogSpawn!!", "cheap FRÖGSPÄWN", "f r o g s p a w n", "fr0g-$p4wn for sale", "t.o.a.d.s.t.o.o.l",
			"tóádstøøl", "click this ScAm LiNk", "s-c-a-m l.1.n.k",
		} {
			m := bob.send(room.ID, text)
			t.Logf("dodge %q", text)
			waitHidden(t, alice, room.ID, m.ID)
		}
	})

	t.Run("an edit is judged too", func(t *testing.T) {
		m := bob.send(room.ID, "an innocent message")
		bob.want(http.StatusOK, nil, http.MethodPatch, "/api/chat/messages/"+m.ID, map[string]any{"content": "now with fr0gspawn"})
		waitHidden(t, alice, room.ID, m.ID)
	})

	t.Run("clean message untouched", func(t *testing.T) {
		if m := modHistory(alice, room.ID)[clean.ID]; m.Moderation != nil || m.Content != clean.Content {
			t.Errorf("clean message %+v", m)
		}
		if _, ok := modReports(alice, room.ID)[clean.ID]; ok {
			t.Error("clean message reported")
		}
	})
}

// moderationService is a local OpenAI-compatible /v1/moderations server:
// content with FLAGME is flagged (harassment), content with SLOW is
// answered after the worker's timeout, anything else is clean.
type moderationService struct {
	*httptest.Server
	mu     sync.Mutex
	inputs []string
}

func newModerationService(t *testing.T) *moderationService {
	ms := &moderationService{}
	ms.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/moderations" || r.Header.Get("Authorization") != "Bearer sk-test" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var req struct {
			Input string `json:"input"`
			Model string `json:"model"`
		}
		_ = json.Unmarshal(body, &req)
		ms.mu.Lock()
		ms.inputs = append(ms.inputs, req.Input)
		ms.mu.Unlock()
		if strings.Contains(req.Input, "SLOW") {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		flagged := strings.Contains(req.Input, "FLAGME")
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"id": "modr-1", "model": req.Model,
			"results": []map[string]any{{
				"flagged":         flagged,
				"categories":      map[string]bool{"harassment": flagged, "violence": false},
				"category_scores": map[string]float64{"harassment": 0.9, "violence": 0.01},
			}},
		})
	}))
	t.Cleanup(ms.Close)
	return ms
}

func (ms *moderationService) count(sub string) int {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	n := 0
	for _, in := range ms.inputs {
		if strings.Contains(in, sub) {
			n++
		}
	}
	return n
}

// TestAutomaticModerationService: with MODERATION_URL set, a message the
// service flags is hidden and reported; a service that does not answer in
// time lets messages through (fail open); after
// MODERATION_BREAKER_FAILURES failures in a row the breaker opens and the
// service is not called at all, messages still passing.
func TestAutomaticModerationService(t *testing.T) {
	ms := newModerationService(t)
	s := harness.NewStack(t, harness.Options{})
	worker := startWorker(t, s, "worker-automod-svc", map[string]string{
		"SMTP_ADDR":                   harness.FreeAddr(t),
		"MODERATION_URL":              ms.URL,
		"MODERATION_API_KEY":          "sk-test",
		"MODERATION_MODEL":            "omni-moderation-latest",
		"MODERATION_TIMEOUT":          "1s",
		"MODERATION_BREAKER_FAILURES": "3",
		"MODERATION_BREAKER_OPEN_FOR": "1m",
	})
	waitGroup(t, s, "moderation", 4)
	c := s.Client(t)
	alice, bob := newChat(t, s, c), newChat(t, s, c)
	room := alice.createRoom("private", bob.a.ID)

	flagged := bob.send(room.ID, "you are a FLAGME person")
	t.Run("flagged answer hides", func(t *testing.T) {
		m := waitHidden(t, alice, room.ID, flagged.ID)
		if !strings.Contains(m.Moderation.Reason, "harassment") {
			t.Errorf("reason %q", m.Moderation.Reason)
		}
		if r, ok := modReports(alice, room.ID)[flagged.ID]; !ok || r.ReporterID != nil {
			t.Errorf("report %+v found %v", r, ok)
		}
	})

	t.Run("timeout fails open, failures open the breaker", func(t *testing.T) {
		var slow []chatMessage
		for _, text := range []string{"SLOW one", "SLOW two", "SLOW three"} {
			slow = append(slow, bob.send(room.ID, text))
		}
		eventually(t, 15*time.Second, "three SLOW calls", func() bool { return ms.count("SLOW") == 3 })
		after := bob.send(room.ID, "FLAGME while the breaker is open")
		last := bob.send(room.ID, "SLOW four")
		eventually(t, 15*time.Second, "breaker open on /metrics", func() bool {
			res, err := http.Get(worker.URL() + "/metrics")
			if err != nil {
				return false
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return strings.Contains(string(b), "moderation_service_breaker_open 1") &&
				strings.Contains(string(b), `moderation_messages_total{outcome="classifier_failed"} 5`)
		})
		if n, f := ms.count("SLOW"), ms.count("FLAGME"); n != 3 || f != 1 {
			t.Errorf("service called %d times with SLOW, %d with FLAGME: want 3 and 1 (breaker open)", n, f)
		}
		h := modHistory(alice, room.ID)
		for _, m := range append(slow, after, last) {
			if got := h[m.ID]; got.Moderation != nil || got.Content != m.Content {
				t.Errorf("message %q: %+v, want let through", m.Content, got)
			}
		}
	})
}
