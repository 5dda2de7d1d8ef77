package web

import (
	"fmt"
	"net/http"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/chatforge/chat/tests/e2e/harness"
)

const password = "correct horse battery"

// TestBrowserChat drives the web app in headless Chromium: two users in
// isolated browser contexts register, verify through the dev inbox, chat
// live in a private room, survive a gateway kill, and see hostile message
// text as text.
func TestBrowserChat(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes and a browser; skipped with -short")
	}
	b := newBrowser(t)
	s := startStack(t, true, nil)
	web := s.web.URL()
	ada, bob := b.newTab(t, "ada"), b.newTab(t, "bob")
	adaEmail, bobEmail := harness.UniqueEmail("ada"), harness.UniqueEmail("bob")

	// Register, verify through the link in the real inbox, log in.
	for _, u := range []struct {
		tb          *tab
		name, email string
	}{{ada, "Ada", adaEmail}, {bob, "Bob", bobEmail}} {
		u.tb.do("register",
			chromedp.Navigate(web),
			chromedp.Click(chromedp.ID("tab-register")),
			u.tb.fill("#register-form [name=displayName]", u.name),
			u.tb.fill("#register-form [name=email]", u.email),
			u.tb.fill("#register-form [name=password]", password),
			chromedp.Click(chromedp.CSS("#register-form button[type=submit]")),
		)
		u.tb.waitText("#auth-msg", "Account created", 15*time.Second)
		link := s.mail.verifyLink(t, u.email)
		u.tb.do("open verification link", chromedp.Navigate(link))
		u.tb.waitText("#auth-msg", "verified", 15*time.Second)
		u.tb.do("log in",
			u.tb.fill("#login-form [name=email]", u.email),
			u.tb.fill("#login-form [name=password]", password),
			chromedp.Click(chromedp.CSS("#login-form button[type=submit]")),
		)
		u.tb.waitJS("the chat", `!document.getElementById('chat').hidden && document.getElementById('my-id').textContent.length === 36`, 15*time.Second)
	}
	bobID := eval[string](bob, `document.getElementById('my-id').textContent`)

	// Ada creates a private room and adds Bob; Bob's room list picks it up.
	ada.do("create room",
		chromedp.Click(chromedp.CSS("#side details:nth-of-type(1) summary")),
		ada.fill("#create-form [name=name]", "Team"),
		chromedp.SetValue(chromedp.CSS("#create-form [name=kind]"), "private"),
		chromedp.Click(chromedp.CSS("#create-form button[type=submit]")),
	)
	ada.waitText("#room-title", "Team", 15*time.Second)
	ada.do("invite bob",
		ada.fill("#invite-form [name=userId]", bobID),
		chromedp.Click(chromedp.CSS("#invite-form button[type=submit]")),
	)
	ada.waitText("#toast", "Added", 15*time.Second)
	bob.waitJS("the room in Bob's list", `[...document.querySelectorAll('#room-list .name')].some(e => e.textContent === 'Team')`, 30*time.Second)
	ada.do("welcome", chromedp.SendKeys(chromedp.ID("composer-input"), "Welcome\r"))
	bob.waitJS("an unread count of 1", `[...document.querySelectorAll('#room-list .room-btn')].some(b => b.textContent.includes('Team') && b.querySelector('.badge')?.textContent === '1')`, 15*time.Second)
	bob.shot("unread")
	bob.do("open room", chromedp.Click(chromedp.JSPath(`[...document.querySelectorAll('#room-list .room-btn')].find(b => b.textContent.includes('Team'))`)))
	bob.waitText("#room-title", "Team", 10*time.Second)
	for _, tb := range []*tab{ada, bob} { // both members, both online
		tb.waitJS("two members online", `document.querySelectorAll('#members .dot.on').length === 2`, 20*time.Second)
	}

	// Typing indicator, then a live message each way, then the receipt.
	ada.do("type", chromedp.SendKeys(chromedp.ID("composer-input"), "Hello Bob"))
	bob.waitText("#typing", "is typing", 10*time.Second)
	bob.shot("typing")
	ada.do("send", chromedp.SendKeys(chromedp.ID("composer-input"), "\r"))
	bob.waitText("#messages", "Hello Bob", 10*time.Second)
	bob.do("reply", chromedp.SendKeys(chromedp.ID("composer-input"), "Hi Ada\r"))
	ada.waitText("#messages", "Hi Ada", 10*time.Second)
	ada.waitText("#messages .status.read", "Read by", 10*time.Second)

	// Hostile text is shown as text and runs nothing.
	const xss = `<img src=x onerror=alert(1)>`
	ada.do("send html", chromedp.SendKeys(chromedp.ID("composer-input"), xss+"\r"))
	bob.waitJS("the html message", fmt.Sprintf(`[...document.querySelectorAll('#messages .text')].some(e => e.textContent === %q)`, xss), 10*time.Second)
	for _, tb := range []*tab{ada, bob} {
		if n := eval[int](tb, `document.querySelectorAll('#messages img').length`); n != 0 {
			t.Errorf("%s: %d <img> elements in the message list: user text became HTML", tb.name, n)
		}
	}
	ada.shot("chat")

	// A reload keeps the session (sessionStorage) and shows the history.
	bob.do("reload", chromedp.Reload())
	bob.waitJS("history after reload", `document.querySelectorAll('#messages li.msg').length >= 4`, 15*time.Second)
	if got := bob.messages(); !slices.Equal(got, []string{"Welcome", "Hello Bob", "Hi Ada", xss}) {
		t.Fatalf("bob after reload: messages %q", got)
	}
	bob.shot("reloaded")

	// The gateway dies; Ada's app says so; Bob posts over REST meanwhile;
	// after the restart Ada has every message once, in order.
	roomID := eval[string](ada, `sessionStorage.getItem('chatforge.active')`)
	s.gateway.Kill()
	ada.waitJS("the reconnecting banner", `!document.getElementById('banner').hidden && document.getElementById('banner').textContent.includes('Reconnecting')`, 15*time.Second)
	ada.shot("reconnecting")
	c := s.Client(t)
	acct := s.Login(t, c, bobEmail, password)
	var sent []string
	for i := 1; i <= 5; i++ {
		text := fmt.Sprintf("while you were away %d", i)
		res := c.Do(http.MethodPost, "/api/chat/messages", map[string]string{"roomId": roomID, "content": text}, acct.AccessToken)
		if res.Status != http.StatusCreated {
			t.Fatalf("post over REST: %s", res)
		}
		sent = append(sent, text)
	}
	s.restartGateway(t)
	ada.waitJS("the banner to go", `document.getElementById('banner').hidden`, 40*time.Second)
	ada.waitText("#messages", sent[len(sent)-1], 20*time.Second)
	time.Sleep(500 * time.Millisecond) // a duplicate would show up by now
	want := append([]string{"Welcome", "Hello Bob", "Hi Ada", xss}, sent...)
	if got := ada.messages(); !slices.Equal(got, want) {
		t.Fatalf("ada after the gateway restart: messages\n%q\nwant\n%q", got, want)
	}
	ada.shot("resumed")

	// Infinite scroll: a room with more than a page of history.
	for i := 1; i <= 60; i++ {
		res := c.Do(http.MethodPost, "/api/chat/messages", map[string]string{"content": fmt.Sprintf("history %02d", i)}, acct.AccessToken)
		if res.Status != http.StatusCreated {
			t.Fatalf("post to the global room: %s", res)
		}
	}
	// A reload: what arrives live is kept, so only a fresh page pages history.
	ada.do("reload", chromedp.Reload())
	ada.waitJS("the chat after reload", `document.querySelectorAll('#room-list .room-btn').length >= 2`, 15*time.Second)
	ada.do("open Everyone", chromedp.Click(chromedp.JSPath(`[...document.querySelectorAll('#room-list .room-btn')].find(b => b.textContent.includes('Everyone'))`)))
	ada.waitText("#messages", "history 60", 15*time.Second)
	if n := len(ada.messages()); n != 50 {
		t.Errorf("first page: %d messages, want 50", n)
	}
	ada.do("scroll up", chromedp.Evaluate[chromedp.Void](`document.getElementById('messages').scrollTop = 0`))
	ada.waitText("#messages", "Start of the conversation", 15*time.Second)
	if got := ada.messages(); len(got) != 60 || got[0] != "history 01" || got[59] != "history 60" {
		t.Errorf("after scrolling up: %d messages, first %q", len(got), got[:1])
	}

	// Search, and the session list.
	ada.do("search", ada.fill("#search-input", "away"), chromedp.SendKeys(chromedp.ID("search-input"), "\r"))
	ada.waitJS("5 search hits", `document.querySelectorAll('#search-list .hit').length === 5`, 10*time.Second)
	ada.do("sessions", chromedp.Click(chromedp.ID("open-sessions")))
	ada.waitText("#session-list", "(this session)", 10*time.Second)
	ada.do("close sessions", chromedp.Click(chromedp.CSS("#sessions form button")))

	// A phone-sized screen, for the README.
	ada.do("close search", chromedp.Click(chromedp.ID("close-search")))
	ada.do("phone", chromedp.EmulateViewport(390, 760))
	ada.shot("phone")
	ada.do("open the rooms drawer", chromedp.Click(chromedp.ID("toggle-rooms")))
	ada.waitJS("the drawer", `getComputedStyle(document.getElementById('side')).display !== 'none'`, 5*time.Second)
	ada.shot("phone-rooms")
	ada.do("pick a room", chromedp.Click(chromedp.JSPath(`[...document.querySelectorAll('#room-list .room-btn')].find(b => b.textContent.includes('Team'))`)))
	ada.waitJS("the drawer to close", `getComputedStyle(document.getElementById('side')).display === 'none'`, 5*time.Second)
	ada.do("desktop", chromedp.EmulateViewport(1100, 720))

	// A direct message: Ada opens the conversation by Bob's ID; it shows up
	// in Bob's list with one unread message.
	ada.do("direct message",
		chromedp.Click(chromedp.CSS("#side details:nth-of-type(2) summary")),
		ada.fill("#direct-form [name=userId]", bobID),
		chromedp.Click(chromedp.CSS("#direct-form button[type=submit]")),
	)
	ada.waitText("#room-title", "User "+bobID[len(bobID)-6:], 10*time.Second)
	ada.do("send direct", chromedp.SendKeys(chromedp.ID("composer-input"), "psst\r"))
	bob.waitJS("the direct room with 1 unread", fmt.Sprintf(`[...document.querySelectorAll('#room-list .room-btn')].some(b => b.textContent.includes(%q) && b.querySelector('.badge')?.textContent === '1')`, "User "+eval[string](ada, `document.getElementById('my-id').textContent`)[30:]), 20*time.Second)

	// Logout ends the session.
	bob.do("logout", chromedp.Click(chromedp.ID("logout")))
	bob.waitText("#auth-msg", "logged out", 10*time.Second)
	for _, tb := range []*tab{ada, bob} {
		tb.noDialogs()
	}
	if dir := os.Getenv("WEB_SCREENSHOT_DIR"); dir != "" {
		t.Logf("screenshots written to %s", dir)
	}
}
