// Package smtp is the notify module's e-mail adapter: it renders the
// multipart (text + HTML) bodies from embedded templates and delivers them
// over SMTP with github.com/wneessen/go-mail, behind a circuit breaker
// (github.com/sony/gobreaker) so a down server is not hammered by every
// queued task.
package smtp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/sony/gobreaker/v2"
	gomail "github.com/wneessen/go-mail"

	"github.com/chatforge/chat/modules/notify/internal/domain"
)

// Config is the SMTP relay and the sender identity.
type Config struct {
	Addr     string // host:port
	Username string // empty: no SMTP AUTH
	Password string
	From     string // RFC 5322 address, e.g. "Chatforge <no-reply@example.com>"
	TLS      string // "none", "starttls" (mandatory) or "tls" (implicit)
	Product  string // name used in bodies
	Timeout  time.Duration
	// The breaker opens after BreakerFailures consecutive transient
	// failures and lets one probe through after BreakerOpenFor.
	BreakerFailures uint32
	BreakerOpenFor  time.Duration
}

// Mailer sends e-mails. Safe for concurrent use: go-mail opens one SMTP
// connection per Send, and the breaker is shared by the process.
type Mailer struct {
	client  *gomail.Client
	from    *mail.Address
	domain  string
	product string
	tpl     *templates
	breaker *gobreaker.CircuitBreaker[struct{}]
	log     *slog.Logger
}

// New checks cfg and prepares the client; it does not connect.
// onState, when not nil, hears every breaker state change (for metrics).
func New(cfg Config, log *slog.Logger, onState func(state string)) (*Mailer, error) {
	host, portStr, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("smtp: address %q: want host:port", cfg.Addr)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 1 || port > 65535 {
		return nil, fmt.Errorf("smtp: address %q: bad port", cfg.Addr)
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("smtp: from %q: %w", cfg.From, err)
	}
	// The plain With*Policy/WithSSL options, not the *Port ones: those
	// rewrite port 25 to 587/465, and the configured port must win.
	opts := []gomail.Option{gomail.WithPort(port), gomail.WithTimeout(cfg.Timeout)}
	switch cfg.TLS {
	case "none":
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case "starttls":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case "tls":
		opts = append(opts, gomail.WithSSL(), gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		return nil, fmt.Errorf("smtp: TLS mode %q: want none, starttls or tls", cfg.TLS)
	}
	if cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password))
	}
	client, err := gomail.NewClient(host, opts...)
	if err != nil {
		return nil, fmt.Errorf("smtp: client: %w", err)
	}
	tpl, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	m := &Mailer{
		client: client, from: from, domain: from.Address[strings.LastIndexByte(from.Address, '@')+1:],
		product: cfg.Product, tpl: tpl, log: log,
	}
	failures := max(cfg.BreakerFailures, 1)
	m.breaker = gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        "smtp",
		MaxRequests: 1,
		Timeout:     cfg.BreakerOpenFor,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= failures },
		// A permanent refusal is about one message, not the server's
		// health; a cancelled task says nothing about the server either.
		IsExcluded: func(err error) bool {
			return errors.Is(err, domain.ErrPermanent) || errors.Is(err, context.Canceled)
		},
		OnStateChange: func(_ string, from, to gobreaker.State) {
			log.Warn("smtp circuit breaker", "from", from.String(), "to", to.String())
			if onState != nil {
				onState(to.String())
			}
		},
	})
	return m, nil
}

// Domain is the From address's domain.
func (m *Mailer) Domain() string { return m.domain }

// Send renders e and delivers it. Errors wrap domain.ErrPermanent when the
// server refused the message for good (5xx), domain.ErrUnavailable when the
// breaker is open; anything else is transient.
func (m *Mailer) Send(ctx context.Context, e domain.Email, messageID string) error {
	msg, err := m.build(e, messageID)
	if err != nil {
		return err
	}
	_, err = m.breaker.Execute(func() (struct{}, error) { return struct{}{}, m.deliver(ctx, msg) })
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		return fmt.Errorf("smtp %s: %w", m.client.ServerAddr(), domain.ErrUnavailable)
	}
	return err
}

// deliver runs one SMTP exchange. Once the server has accepted the message
// a failing QUIT is only logged: reporting it would make the task retry and
// send the mail twice.
func (m *Mailer) deliver(ctx context.Context, msg *gomail.Msg) error {
	conn, err := m.client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return fmt.Errorf("smtp dial: %w", err)
	}
	defer func() {
		if err := m.client.CloseWithSMTPClient(conn); err != nil {
			m.log.DebugContext(ctx, "smtp close after send", "err", err)
		}
	}()
	return classify(m.client.SendWithSMTPClient(conn, msg))
}

func (m *Mailer) build(e domain.Email, messageID string) (*gomail.Msg, error) {
	subject, text, html, err := m.tpl.render(e, m.product)
	if err != nil {
		return nil, err
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.FromFormat(m.from.Name, m.from.Address); err != nil {
		return nil, fmt.Errorf("smtp: from: %w", err)
	}
	if err := msg.AddToFormat(e.DisplayName, e.To); err != nil {
		return nil, fmt.Errorf("%w: recipient: %v", domain.ErrPermanent, err)
	}
	msg.Subject(subject)
	msg.SetMessageIDWithValue(messageID)
	msg.SetDate()
	// Automated mail: no out-of-office replies.
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetGenHeader("X-Auto-Response-Suppress", "All")
	msg.SetBodyString(gomail.TypeTextPlain, text)
	msg.AddAlternativeString(gomail.TypeTextHTML, html)
	return msg, nil
}

// classify marks SMTP replies 5xx as permanent. Dial, TLS, authentication
// and 4xx errors stay transient: they are about the server or the
// configuration, which may be fixed, not about this message.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var se *gomail.SendError
	if errors.As(err, &se) && !se.IsTemp() && se.ErrorCode() >= 500 {
		return fmt.Errorf("%w: %v", domain.ErrPermanent, err)
	}
	return err
}
