package socket

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/chatforge/chat/platform/authn"
)

// sioConnect opens an Engine.IO polling session with header auth and sends
// the Socket.IO CONNECT; it returns the first packet answered ("40..." on
// success, "44..." for a connect_error).
func sioConnect(t *testing.T, base, auth string) string {
	t.Helper()
	do := func(method, url, body string) string {
		req, _ := http.NewRequest(method, url, strings.NewReader(body))
		req.Header.Set("Authorization", auth)
		if body != "" {
			req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, url, err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s %s: %d %s", method, url, res.StatusCode, b)
		}
		return string(b)
	}
	open := do(http.MethodGet, base+"/socket.io/?EIO=4&transport=polling", "")
	var hs struct {
		SID string `json:"sid"`
	}
	if !strings.HasPrefix(open, "0") || json.Unmarshal([]byte(open[1:]), &hs) != nil || hs.SID == "" {
		t.Fatalf("engine.io open: %q", open)
	}
	u := base + "/socket.io/?EIO=4&transport=polling&sid=" + hs.SID
	do(http.MethodPost, u, "40")
	return do(http.MethodGet, u, "")
}

// TestBotTokens: a bot token found in the Redis mirror admits a /ws socket
// (sent as Bearer) and a Socket.IO CONNECT (sent as "Authorization: Bot");
// once the mirror forgets it, both are refused.
func TestBotTokens(t *testing.T) {
	e := newEnv(t, 1, nil)
	bot := e.user(t)
	token := authn.BotTokenPrefix + "unit-test-token-" + bot.ID
	bots := authn.NewBotTokens(e.rdb)
	if err := bots.Put(t.Context(), authn.HashBotToken(token), bot.ID); err != nil {
		t.Fatal(err)
	}
	c, err := e.tryDial(0, token)
	if err != nil {
		t.Fatalf("bot dial: %v", err)
	}
	ready := c.expect(t, "ready")
	if !strings.Contains(string(ready.Data), bot.ID) {
		t.Errorf("ready %s does not name the bot", ready.Data)
	}
	c.conn.Close()
	if got := sioConnect(t, e.gws[0].srv.URL, "Bot "+token); !strings.HasPrefix(got, "40") {
		t.Errorf("Socket.IO CONNECT as a bot answered %q", got)
	}

	if err := bots.Delete(t.Context(), authn.HashBotToken(token)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.tryDial(0, token); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("revoked bot dial: %v, want 401", err)
	}
	if got := sioConnect(t, e.gws[0].srv.URL, "Bot "+token); !strings.HasPrefix(got, "44") || !strings.Contains(got, "unauthorized") {
		t.Errorf("Socket.IO CONNECT with a revoked bot token answered %q", got)
	}
}
