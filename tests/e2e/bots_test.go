package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/apps/gateway/gatewaytest"
	"github.com/chatforge/chat/tests/e2e/harness"
)

// testBot is the answer of POST /api/bots.
type testBot struct {
	Bot struct {
		ID      string `json:"id"`
		Name    string `json:"name"`
		IsBot   bool   `json:"isBot"`
		OwnerID string `json:"ownerId"`
	} `json:"bot"`
	Token string `json:"token"`
}

// botHeader is the Authorization of a bot token.
func botHeader(token string) http.Header { return http.Header{"Authorization": {"Bot " + token}} }

// dialBot opens /ws as a bot ("Authorization: Bot <token>").
func dialBot(url, token string) (*ws, int, error) {
	c, status, err := gatewaytest.Dial(url, "", gatewaytest.Options{
		Dialer: &websocket.Dialer{HandshakeTimeout: 5 * time.Second}, Timeout: 15 * time.Second,
		Header: botHeader(token),
	})
	if err != nil {
		return nil, status, err
	}
	return &ws{Client: c, conn: c.Conn, frames: c.Frames}, status, nil
}

// TestBots: a bot made by a person authenticates with its token on REST and
// /ws, is added to a room like any member and posts there, is refused on
// the routes only people may use, and after revocation is refused
// everywhere and its open socket is closed.
func TestBots(t *testing.T) {
	s := harness.NewStack(t, harness.Options{})
	gw := startGateway(t, s, "gateway-bots", nil)
	c := s.Client(t)
	alice, bob := newChat(t, s, c), newChat(t, s, c)

	var made testBot
	alice.want(http.StatusCreated, &made, http.MethodPost, "/api/bots", map[string]any{"name": "  Helper bot "})
	if !made.Bot.IsBot || made.Bot.Name != "Helper bot" || made.Bot.OwnerID != alice.a.ID ||
		!strings.HasPrefix(made.Token, "cfbot_") || len(made.Token) < 40 {
		t.Fatalf("created bot %+v", made)
	}
	bot := made.Bot.ID
	asBot := func(method, path string, body any) *harness.Response {
		return c.Do(method, path, body, "", botHeader(made.Token))
	}
	wantProblem(t, alice.do(http.MethodPost, "/api/bots", map[string]any{"name": ""}), http.StatusUnprocessableEntity, "empty name")

	t.Run("REST with the token", func(t *testing.T) {
		var me struct {
			ID    string `json:"id"`
			IsBot bool   `json:"isBot"`
		}
		res := asBot(http.MethodGet, "/api/user/profile", nil)
		if res.Status != http.StatusOK {
			t.Fatalf("bot profile: %s", res)
		}
		res.JSON(t, &me)
		if me.ID != bot || !me.IsBot {
			t.Errorf("bot profile %+v, want id %s isBot", me, bot)
		}
		room := alice.createRoom("private", bot)
		if res := asBot(http.MethodPost, "/api/chat/messages", map[string]any{"roomId": room.ID, "content": "beep"}); res.Status != http.StatusCreated {
			t.Fatalf("bot posts in the room it was added to: %s", res)
		}
		page := alice.history(room.ID, qs("limit", "10"))
		if len(page.Items) != 1 || page.Items[0].UserID != bot || page.Items[0].Content != "beep" {
			t.Errorf("room history %+v", page.Items)
		}
		// A room the bot was not added to stays closed to it.
		other := bob.createRoom("private")
		if res := asBot(http.MethodGet, "/api/chat/rooms/"+other.ID, nil); res.Status != http.StatusNotFound {
			t.Errorf("bot reads a room it is not in: %s", res)
		}
	})

	t.Run("refused where only people go", func(t *testing.T) {
		for _, r := range []struct {
			method, path string
			body         any
		}{
			{http.MethodPut, "/api/user/password", map[string]any{"currentPassword": "x", "newPassword": "long enough password"}},
			{http.MethodGet, "/api/user/sessions", nil},
			{http.MethodPost, "/api/auth/logout", nil},
			{http.MethodPost, "/api/bots", map[string]any{"name": "spawn"}},
		} {
			res := asBot(r.method, r.path, r.body)
			if res.Status != http.StatusForbidden || res.Problem(t).Code != "bot_forbidden" {
				t.Errorf("bot %s %s: %s, want 403 bot_forbidden", r.method, r.path, res)
			}
		}
		// Its reserved address has no password to log in with.
		res := c.Do(http.MethodPost, "/api/auth/login", map[string]any{"email": bot + "@bots.invalid", "password": "anything at all"}, "")
		if res.Status != http.StatusUnauthorized {
			t.Errorf("login as the bot: %s", res)
		}
	})

	t.Run("only the owner revokes", func(t *testing.T) {
		wantProblem(t, bob.do(http.MethodDelete, "/api/bots/"+bot, nil), http.StatusNotFound, "bob revokes alice's bot")
		var list struct {
			Items []struct {
				ID        string `json:"id"`
				RevokedAt string `json:"revokedAt"`
			} `json:"items"`
		}
		alice.want(http.StatusOK, &list, http.MethodGet, "/api/bots", nil)
		if len(list.Items) != 1 || list.Items[0].ID != bot || list.Items[0].RevokedAt != "" {
			t.Errorf("alice's bots %+v", list.Items)
		}
	})

	t.Run("Redis mirror lost", func(t *testing.T) {
		// PostgreSQL is the record: the api admits the bot from it and puts
		// the mirror back, which the gateway (no database) reads.
		opt, err := redis.ParseURL(s.RedisURL)
		if err != nil {
			t.Fatal(err)
		}
		rdb := redis.NewClient(opt)
		defer rdb.Close()
		sum := sha256.Sum256([]byte(made.Token))
		key := "bot:token:" + hex.EncodeToString(sum[:])
		if n, err := rdb.Del(t.Context(), key).Result(); err != nil || n != 1 {
			t.Fatalf("deleting the mirror entry %s: %d %v", key, n, err)
		}
		if res := asBot(http.MethodGet, "/api/user/profile", nil); res.Status != http.StatusOK {
			t.Fatalf("bot on REST without its mirror entry: %s", res)
		}
		if got, err := rdb.Get(t.Context(), key).Result(); err != nil || got != bot {
			t.Errorf("mirror entry after the REST call: %q %v, want the bot id", got, err)
		}
	})

	t.Run("socket, then revocation", func(t *testing.T) {
		sock, status, err := dialBot(gw.WS(), made.Token)
		if err != nil {
			t.Fatalf("bot dial: %d %v", status, err)
		}
		defer sock.conn.Close()
		ready := sock.expect(t, "ready")
		if !strings.Contains(string(ready.Data), bot) {
			t.Errorf("ready %s does not name the bot", ready.Data)
		}
		room := alice.createRoom("private", bot)
		sock.join(t, room.ID, 0)
		sock.sendMessage(t, room.ID, "beep over the socket", "bot-1")
		if page := alice.history(room.ID, qs("limit", "10")); len(page.Items) != 1 || page.Items[0].UserID != bot {
			t.Errorf("socket message %+v, want one by the bot", page.Items)
		}

		alice.want(http.StatusNoContent, nil, http.MethodDelete, "/api/bots/"+bot, nil)
		alice.want(http.StatusNoContent, nil, http.MethodDelete, "/api/bots/"+bot, nil) // idempotent
		if code := sock.closeCode(t, 5*time.Second); code != 4001 {
			t.Errorf("bot socket close code %d after revocation, want 4001", code)
		}
		if res := asBot(http.MethodGet, "/api/user/profile", nil); res.Status != http.StatusUnauthorized {
			t.Errorf("revoked bot on REST: %s", res)
		}
		if _, status, err := dialBot(gw.WS(), made.Token); err == nil || status != http.StatusUnauthorized {
			t.Errorf("revoked bot dial: status %d err %v, want 401", status, err)
		}
		if res := c.Do(http.MethodGet, "/api/user/profile", nil, "", botHeader("cfbot_"+strings.Repeat("A", 43))); res.Status != http.StatusUnauthorized {
			t.Errorf("unknown bot token: %s", res)
		}
	})
}
