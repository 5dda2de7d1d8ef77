package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatforge/chat/tests/e2e/harness"
)

// mailpitVersion is the Mailpit the tests (and scripts/mailpit.sh) use.
const mailpitVersion = "v1.33.1"

// mailpitBin is the Mailpit binary, located or installed once per test
// process.
var mailpitBin struct {
	once sync.Once
	path string
	err  error
}

// mailpit is a real SMTP server with a REST API to read what it got.
type mailpit struct {
	*harness.Proc
	SMTPAddr, API string
}

// startMailpit starts Mailpit on free ports, keeping mail in a file so a
// restart (the outage test) keeps what was delivered before.
func startMailpit(t *testing.T) *mailpit {
	t.Helper()
	smtpAddr, uiAddr := harness.FreeAddr(t), harness.FreeAddr(t)
	db := filepath.Join(t.TempDir(), "mailpit.db")
	p := harness.StartProc(t, "mailpit", mailpitBinary(t), "http://"+uiAddr+"/readyz",
		[]string{"--smtp", smtpAddr, "--listen", uiAddr, "--database", db, "--disable-version-check",
			"--smtp-auth-accept-any", "--smtp-auth-allow-insecure", "--quiet"},
		harness.Env(nil))
	return &mailpit{Proc: p, SMTPAddr: smtpAddr, API: p.URL()}
}

// mailpitBinary returns MAILPIT_BIN, else the dev stack's .dev/bin/mailpit,
// else installs Mailpit from the Go module proxy into the user cache (once
// per machine; the UI is not needed here, only SMTP and the REST API).
func mailpitBinary(t *testing.T) string {
	t.Helper()
	mailpitBin.once.Do(func() {
		if p := os.Getenv("MAILPIT_BIN"); p != "" {
			mailpitBin.path = p
			return
		}
		if root, err := exec.Command("go", "env", "GOMOD").Output(); err == nil {
			p := filepath.Join(filepath.Dir(strings.TrimSpace(string(root))), ".dev", "bin", "mailpit")
			if v, err := os.ReadFile(p + ".version"); err == nil && strings.TrimSpace(string(v)) == mailpitVersion {
				mailpitBin.path = p
				return
			}
		}
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		dir := filepath.Join(cache, "chatforge-e2e", "mailpit-"+mailpitVersion)
		if _, err := os.Stat(filepath.Join(dir, "mailpit")); err == nil {
			mailpitBin.path = filepath.Join(dir, "mailpit")
			return
		}
		cmd := exec.Command("go", "install", "github.com/axllent/mailpit@"+mailpitVersion)
		cmd.Dir = os.TempDir() // outside our module: Mailpit's own go.mod rules
		cmd.Env = append(os.Environ(), "GOBIN="+dir)
		if b, err := cmd.CombinedOutput(); err != nil {
			mailpitBin.err = fmt.Errorf("go install mailpit: %v\n%s", err, b)
			return
		}
		mailpitBin.path = filepath.Join(dir, "mailpit")
	})
	if mailpitBin.err != nil {
		t.Fatalf("mailpit binary: %v", mailpitBin.err)
	}
	return mailpitBin.path
}

// mailSummary is one entry of Mailpit's message list.
type mailSummary struct {
	ID        string `json:"ID"`
	MessageID string `json:"MessageID"`
	Subject   string `json:"Subject"`
}

// mailDetail is Mailpit's view of one message.
type mailDetail struct {
	ID        string `json:"ID"`
	MessageID string `json:"MessageID"`
	Subject   string `json:"Subject"`
	From      struct {
		Name    string `json:"Name"`
		Address string `json:"Address"`
	} `json:"From"`
	Text string `json:"Text"`
	HTML string `json:"HTML"`
}

// messagesTo lists the mails Mailpit holds for address.
func (m *mailpit) messagesTo(t *testing.T, address string) []mailSummary {
	t.Helper()
	var res struct {
		Messages []mailSummary `json:"messages"`
	}
	m.get(t, "/api/v1/search?query="+url.QueryEscape(`to:"`+address+`"`), &res)
	return res.Messages
}

// message fetches one message's parts.
func (m *mailpit) message(t *testing.T, id string) mailDetail {
	t.Helper()
	var d mailDetail
	m.get(t, "/api/v1/message/"+url.PathEscape(id), &d)
	return d
}

// waitMail waits for the first mail to address and returns it.
func (m *mailpit) waitMail(t *testing.T, address string, within time.Duration) mailDetail {
	t.Helper()
	var got []mailSummary
	eventually(t, within, "a mail to "+address, func() bool {
		got = m.messagesTo(t, address)
		return len(got) > 0
	})
	return m.message(t, got[0].ID)
}

func (m *mailpit) get(t *testing.T, path string, dst any) {
	t.Helper()
	res, err := http.Get(m.API + path)
	if err != nil {
		t.Fatalf("mailpit GET %s: %v", path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("mailpit GET %s: %d %s", path, res.StatusCode, b)
	}
	if err := json.Unmarshal(b, dst); err != nil {
		t.Fatalf("mailpit GET %s: %v", path, err)
	}
}

var linkRe = regexp.MustCompile(`https?://[^\s"<>]+\?token=[A-Za-z0-9_%.~-]+`)

// mailLink returns the one token link of a mail's text part, checking the
// HTML part carries the same link.
func mailLink(t *testing.T, d mailDetail) (link, token string) {
	t.Helper()
	links := linkRe.FindAllString(d.Text, -1)
	if len(links) != 1 {
		t.Fatalf("text part has %d token links, want 1:\n%s", len(links), d.Text)
	}
	if !regexp.MustCompile(regexp.QuoteMeta(links[0])).MatchString(d.HTML) {
		t.Fatalf("HTML part lacks the link %s:\n%s", links[0], d.HTML)
	}
	u, err := url.Parse(links[0])
	if err != nil {
		t.Fatalf("link %q: %v", links[0], err)
	}
	return links[0], u.Query().Get("token")
}

// smtpGate is a TCP proxy in front of an SMTP server that, while closed,
// holds every new connection without answering: a worker talking to it is
// stuck mid-task, as in a slow SMTP exchange. Open forwards new connections.
type smtpGate struct {
	Addr     string
	target   string
	ln       net.Listener
	mu       sync.Mutex
	open     bool
	held     []net.Conn
	accepted chan struct{}
}

func newSMTPGate(t *testing.T, target string) *smtpGate {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &smtpGate{Addr: ln.Addr().String(), target: target, ln: ln, accepted: make(chan struct{}, 16)}
	t.Cleanup(g.close)
	go g.serve()
	return g
}

func (g *smtpGate) serve() {
	for {
		c, err := g.ln.Accept()
		if err != nil {
			return
		}
		g.mu.Lock()
		open := g.open
		if !open {
			g.held = append(g.held, c)
		}
		g.mu.Unlock()
		select {
		case g.accepted <- struct{}{}:
		default:
		}
		if open {
			go g.forward(c)
		}
	}
}

func (g *smtpGate) forward(c net.Conn) {
	defer c.Close()
	up, err := net.DialTimeout("tcp", g.target, 5*time.Second)
	if err != nil {
		return
	}
	defer up.Close()
	go func() { _, _ = io.Copy(up, c); _ = up.Close() }()
	_, _ = io.Copy(c, up)
}

// Open lets new connections through; held ones are dropped (their client is
// gone or will time out).
func (g *smtpGate) Open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.open = true
	for _, c := range g.held {
		_ = c.Close()
	}
	g.held = nil
}

func (g *smtpGate) close() {
	_ = g.ln.Close()
	g.Open()
}
