package smtp

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatforge/chat/modules/notify/internal/domain"
)

// fakeSMTP is a scripted SMTP server: it answers RCPT TO with rcptReply and
// records the DATA it accepts.
type fakeSMTP struct {
	ln        net.Listener
	rcptReply string
	mu        sync.Mutex
	data      []string
}

func newFakeSMTP(t *testing.T, rcptReply string) *fakeSMTP {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeSMTP{ln: ln, rcptReply: rcptReply}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *fakeSMTP) serve(c net.Conn) {
	defer c.Close()
	r, w := bufio.NewReader(c), c
	reply := func(l string) { _, _ = io.WriteString(w, l+"\r\n") }
	reply("220 fake ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			reply("250-fake")
			reply("250 8BITMIME")
		case strings.HasPrefix(cmd, "RCPT"):
			reply(s.rcptReply)
		case cmd == "DATA":
			reply("354 go on")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil || l == ".\r\n" {
					break
				}
				b.WriteString(l)
			}
			s.mu.Lock()
			s.data = append(s.data, b.String())
			s.mu.Unlock()
			reply("250 queued")
		case cmd == "QUIT":
			reply("221 bye")
			return
		default:
			reply("250 ok")
		}
	}
}

func newMailer(t *testing.T, addr string) *Mailer {
	t.Helper()
	m, err := New(Config{Addr: addr, From: "Chatforge <no-reply@chatforge.test>", TLS: "none", Product: "Chatforge",
		Timeout: 2 * time.Second, BreakerFailures: 2, BreakerOpenFor: time.Hour}, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var email = domain.Email{Kind: domain.KindPasswordReset, Key: "password_reset:k", To: "ann@example.com",
	DisplayName: "Ann <script>", Link: "https://chat.example.com/reset-password?token=t%2B1"}

func TestSendMultipart(t *testing.T) {
	srv := newFakeSMTP(t, "250 ok")
	if err := newMailer(t, srv.ln.Addr().String()).Send(context.Background(), email, "abc@chatforge.test"); err != nil {
		t.Fatal(err)
	}
	raw := srv.data[0]
	for _, want := range []string{"multipart/alternative", "text/plain", "text/html", "Message-ID: <abc@chatforge.test>",
		"Subject: Reset your password", "Auto-Submitted: auto-generated", "Ann &lt;script&gt;"} {
		if !strings.Contains(raw, want) {
			t.Errorf("message lacks %q:\n%s", want, raw)
		}
	}
}

func TestSendClassifiesFailures(t *testing.T) {
	perm := newFakeSMTP(t, "550 5.1.1 no such user")
	if err := newMailer(t, perm.ln.Addr().String()).Send(context.Background(), email, "a@b"); !errors.Is(err, domain.ErrPermanent) {
		t.Errorf("550: %v, want ErrPermanent", err)
	}
	temp := newFakeSMTP(t, "451 4.3.0 try later")
	if err := newMailer(t, temp.ln.Addr().String()).Send(context.Background(), email, "a@b"); err == nil || errors.Is(err, domain.ErrPermanent) {
		t.Errorf("451: %v, want a transient error", err)
	}
}

func TestBreakerOpensOnOutage(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close() // nothing listens: connection refused
	m := newMailer(t, addr)
	for i := range 2 {
		if err := m.Send(context.Background(), email, "a@b"); err == nil || errors.Is(err, domain.ErrUnavailable) {
			t.Fatalf("attempt %d: %v, want a transient dial error", i, err)
		}
	}
	if err := m.Send(context.Background(), email, "a@b"); !errors.Is(err, domain.ErrUnavailable) {
		t.Fatalf("after 2 failures: %v, want ErrUnavailable (breaker open)", err)
	}
}
