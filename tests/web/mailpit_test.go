package web

import (
	"encoding/json"
	"fmt"
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

// mailpitVersion is the Mailpit scripts/mailpit.sh and tests/e2e use.
const mailpitVersion = "v1.33.1"

var mailpitBin struct {
	once sync.Once
	path string
	err  error
}

// mailpit is the dev inbox: SMTP for the worker, a REST API for the test.
type mailpit struct {
	*harness.Proc
	SMTPAddr string
}

func startMailpit(t *testing.T) *mailpit {
	t.Helper()
	smtpAddr, uiAddr := harness.FreeAddr(t), harness.FreeAddr(t)
	p := harness.StartProc(t, "mailpit", mailpitBinary(t), "http://"+uiAddr+"/readyz",
		[]string{"--smtp", smtpAddr, "--listen", uiAddr, "--disable-version-check",
			"--smtp-auth-accept-any", "--smtp-auth-allow-insecure", "--quiet"},
		harness.Env(nil))
	return &mailpit{Proc: p, SMTPAddr: smtpAddr}
}

// mailpitBinary finds Mailpit as tests/e2e does (MAILPIT_BIN, the dev
// stack's .dev/bin, the user cache), installing it into the cache once.
func mailpitBinary(t *testing.T) string {
	t.Helper()
	mailpitBin.once.Do(func() {
		if p := os.Getenv("MAILPIT_BIN"); p != "" {
			mailpitBin.path = p
			return
		}
		p := repoFile(t, filepath.Join(".dev", "bin", "mailpit"))
		if v, err := os.ReadFile(p + ".version"); err == nil && strings.TrimSpace(string(v)) == mailpitVersion {
			mailpitBin.path = p
			return
		}
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		dir := filepath.Join(cache, "chatforge-e2e", "mailpit-"+mailpitVersion)
		mailpitBin.path = filepath.Join(dir, "mailpit")
		if _, err := os.Stat(mailpitBin.path); err == nil {
			return
		}
		cmd := exec.Command("go", "install", "github.com/axllent/mailpit@"+mailpitVersion)
		cmd.Dir = os.TempDir()
		cmd.Env = append(os.Environ(), "GOBIN="+dir)
		if b, err := cmd.CombinedOutput(); err != nil {
			mailpitBin.err = fmt.Errorf("go install mailpit: %v\n%s", err, b)
		}
	})
	if mailpitBin.err != nil {
		t.Fatalf("mailpit binary: %v", mailpitBin.err)
	}
	return mailpitBin.path
}

var linkRe = regexp.MustCompile(`https?://[^\s"<>]+/verify-email\?token=[A-Za-z0-9_%.~-]+`)

// verifyLink waits for the verification mail to address and returns its link.
func (m *mailpit) verifyLink(t *testing.T, address string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var list struct {
			Messages []struct{ ID string } `json:"messages"`
		}
		if m.get(t, "/api/v1/search?query="+url.QueryEscape(`to:"`+address+`"`), &list) && len(list.Messages) > 0 {
			var d struct{ Text string }
			if m.get(t, "/api/v1/message/"+url.PathEscape(list.Messages[0].ID), &d) {
				if l := linkRe.FindString(d.Text); l != "" {
					return l
				}
				t.Fatalf("mail to %s has no verification link:\n%s", address, d.Text)
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("no mail to %s within 30s", address)
	return ""
}

func (m *mailpit) get(t *testing.T, path string, dst any) bool {
	t.Helper()
	res, err := http.Get(m.URL() + path)
	if err != nil {
		return false
	}
	defer res.Body.Close()
	return res.StatusCode == http.StatusOK && json.NewDecoder(res.Body).Decode(dst) == nil
}
