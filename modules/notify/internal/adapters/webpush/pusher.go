// Package webpush sends Web Push messages (RFC 8030) encrypted for the
// subscription (RFC 8291, aes128gcm) and signed with the server's VAPID key
// (RFC 8292), through github.com/SherClockHolmes/webpush-go.
package webpush

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"time"

	wp "github.com/SherClockHolmes/webpush-go"

	"github.com/chatforge/chat/modules/notify/internal/app"
	"github.com/chatforge/chat/modules/notify/internal/domain"
)

// Config is the VAPID identity and delivery options.
type Config struct {
	PublicKey, PrivateKey string
	Subject               string // contact, "mailto:" stripped (the library adds it)
	TTL                   time.Duration
	// AllowPrivate lets endpoints resolve to loopback or private addresses
	// (local push services in development and tests). Off in production:
	// the endpoint is user input, and the worker must not be a proxy into
	// the internal network.
	AllowPrivate bool
}

// Pusher implements app.Pusher. Safe for concurrent use.
type Pusher struct {
	cfg    Config
	client *http.Client
}

var _ app.Pusher = (*Pusher)(nil)

// New returns a Pusher.
func New(cfg Config) *Pusher {
	dialer := &net.Dialer{Timeout: 5 * time.Second, Control: func(_, address string, _ syscall.RawConn) error {
		if cfg.AllowPrivate {
			return nil
		}
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return err
		}
		ip := net.ParseIP(host)
		if ip == nil || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() || ip.IsMulticast() {
			return fmt.Errorf("push endpoint address %s is not public", host)
		}
		return nil
	}}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = dialer.DialContext
	tr.Proxy = nil
	return &Pusher{cfg: cfg, client: &http.Client{Transport: tr, Timeout: 15 * time.Second,
		// A push service answers; it does not redirect.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Push implements app.Pusher.
func (p *Pusher) Push(ctx context.Context, s domain.Subscription, payload []byte, topic string) error {
	res, err := wp.SendNotificationWithContext(ctx, payload,
		&wp.Subscription{Endpoint: s.Endpoint, Keys: wp.Keys{Auth: s.Auth, P256dh: s.P256DH}},
		&wp.Options{
			HTTPClient: p.client, Subscriber: p.cfg.Subject, Topic: topic, Urgency: wp.UrgencyNormal,
			TTL: int(p.cfg.TTL.Seconds()), VAPIDPublicKey: p.cfg.PublicKey, VAPIDPrivateKey: p.cfg.PrivateKey,
		})
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("push %s: %w", host(s.Endpoint), err)
		}
		// Bad keys in a stored subscription, a refused address: retrying
		// will not help.
		return fmt.Errorf("push %s: %v: %w", host(s.Endpoint), err, domain.ErrPermanent)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 512))
	switch {
	case res.StatusCode >= 200 && res.StatusCode < 300:
		return nil
	case res.StatusCode == http.StatusNotFound || res.StatusCode == http.StatusGone:
		return fmt.Errorf("push %s: %d: %w", host(s.Endpoint), res.StatusCode, domain.ErrGone)
	case res.StatusCode == http.StatusTooManyRequests || res.StatusCode >= 500:
		return fmt.Errorf("push %s: %d %s", host(s.Endpoint), res.StatusCode, body)
	default:
		return fmt.Errorf("push %s: %d %s: %w", host(s.Endpoint), res.StatusCode, body, domain.ErrPermanent)
	}
}

// host names the push service in errors without the endpoint's path,
// which is the subscription's secret.
func host(endpoint string) string {
	if u, err := url.Parse(endpoint); err == nil {
		return u.Host
	}
	return "?"
}
