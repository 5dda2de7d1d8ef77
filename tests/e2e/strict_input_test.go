package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/chatforge/chat/tests/e2e/harness"
)

// badJSON are the inputs encoding/json would quietly repair (U+FFFD) or
// resolve (the last key wins); %s is where a string's content goes. Each
// must be refused, and nothing stored.
var badJSON = []struct{ name, body string }{
	{"invalid UTF-8", "\"a\xffb\""},
	{"truncated UTF-8", "\"caf\xc3\""},
	{"lone surrogate", `"a\ud800b"`},
	{"lone low surrogate", `"\udc00"`},
}

// TestStrictInput: REST and socket alike refuse invalid UTF-8, lone
// surrogate escapes, duplicate keys and (socket) unknown data fields with
// 400 / bad_request saying what was wrong, and store nothing.
func TestStrictInput(t *testing.T) {
	s := harness.NewStack(t, harness.Options{Env: apiEnv()})
	gw := startGateway(t, s, "gateway-strict", map[string]string{"WS_BAD_FRAME_LIMIT": "100"})
	c := s.Client(t)
	a := newChat(t, s, c)
	room := a.createRoom("private").ID

	t.Run("REST message post", func(t *testing.T) {
		post := func(body string) *harness.Response { return a.do(http.MethodPost, "/api/chat/messages", []byte(body)) }
		for _, b := range badJSON {
			res := post(`{"roomId":"` + room + `","content":` + b.body + `}`)
			wantProblem(t, res, http.StatusBadRequest, "message "+b.name)
			wantDetail(t, res, b.name)
		}
		res := post(`{"roomId":"` + room + `","content":"first","content":"second"}`)
		wantProblem(t, res, http.StatusBadRequest, "duplicate content")
		wantDetail(t, res, "duplicate key")
		if got := a.history(room, url.Values{}).Items; len(got) != 0 {
			t.Errorf("%d messages stored: %+v", len(got), got)
		}
	})

	t.Run("REST register", func(t *testing.T) {
		for _, b := range append(badJSON, struct{ name, body string }{"duplicate key", `"Ann","displayName":"Bob"`}) {
			email := harness.UniqueEmail("strict")
			res := c.Do(http.MethodPost, "/api/auth/register",
				[]byte(`{"email":"`+email+`","password":"longenough-1","displayName":`+b.body+`}`), "")
			wantProblem(t, res, http.StatusBadRequest, "register "+b.name)
			wantDetail(t, res, b.name)
			login := c.Do(http.MethodPost, "/api/auth/login", map[string]string{"email": email, "password": "longenough-1"}, "")
			if login.Status != http.StatusUnauthorized {
				t.Errorf("register %s stored an account: login %s", b.name, login)
			}
		}
	})

	t.Run("REST profile", func(t *testing.T) {
		before := profile(t, c, a.a.AccessToken)
		for _, b := range append(badJSON, struct{ name, body string }{"duplicate key", `"Ann","displayName":"Bob"`}) {
			res := c.Do(http.MethodPut, "/api/user/profile", []byte(`{"displayName":`+b.body+`}`), a.a.AccessToken)
			wantProblem(t, res, http.StatusBadRequest, "profile "+b.name)
			wantDetail(t, res, b.name)
		}
		if after := profile(t, c, a.a.AccessToken); after.DisplayName != before.DisplayName {
			t.Errorf("displayName %q, was %q", after.DisplayName, before.DisplayName)
		}
	})

	t.Run("socket send-message", func(t *testing.T) {
		w := connect(t, gw.WS(), a.a.AccessToken)
		w.join(t, room, -1)
		frames := map[string][2]string{ // name: frame, what the message must say
			"duplicate key":       {`{"event":"send-message","ref":"d","data":{"roomId":"` + room + `","content":"first","content":"second"}}`, `duplicate key "content"`},
			"duplicate data":      {`{"event":"send-message","ref":"e","data":{"roomId":"` + room + `","content":"x"},"data":{"content":"y"}}`, `duplicate key "data"`},
			"unknown data field":  {`{"event":"send-message","ref":"u","data":{"roomId":"` + room + `","content":"x","conent":"typo"}}`, "data.conent is not a field"},
			"unknown field (seq)": {`{"event":"send-message","ref":"s","data":{"roomId":"` + room + `","content":"x","seq":4}}`, "data.seq is not a field"},
		}
		for _, b := range badJSON {
			frames[b.name] = [2]string{`{"event":"send-message","ref":"b","data":{"roomId":"` + room + `","content":` + b.body + `}}`, detailFor(b.name)}
		}
		for name, f := range frames {
			w.raw(websocket.TextMessage, []byte(f[0]))
			e := jsonOf[wsError](t, w.expect(t, "error", "ack").Data)
			if e.Code != "bad_request" || !strings.Contains(e.Message, f[1]) {
				t.Errorf("%s: got %+v, want bad_request saying %q", name, e, f[1])
			}
		}
		// The socket still works, and only the good message is stored.
		w.send("send-message", "ok", map[string]any{"roomId": room, "content": "fine"})
		w.expect(t, "ack")
		got := a.history(room, url.Values{}).Items
		if len(got) != 1 || got[0].Content != "fine" {
			t.Errorf("stored %+v, want only the good message", got)
		}
	})
}

// wantDetail checks that a problem's detail says what was wrong.
func wantDetail(t *testing.T, res *harness.Response, name string) {
	t.Helper()
	if res.Status != http.StatusBadRequest {
		return // wantProblem reported it
	}
	want := detailFor(name)
	if p := res.Problem(t); !strings.Contains(p.Detail, want) {
		t.Errorf("%s: detail %q, want it to say %q", name, p.Detail, want)
	}
}

// detailFor is what the refusal of the badJSON input name must say.
func detailFor(name string) string {
	return map[string]string{
		"invalid UTF-8": "not valid UTF-8", "truncated UTF-8": "not valid UTF-8",
		"lone surrogate": "lone UTF-16 surrogate", "lone low surrogate": "lone UTF-16 surrogate",
		"duplicate key": "duplicate key",
	}[name]
}
