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
	"time"

	wp "github.com/SherClockHolmes/webpush-go"

	"github.com/chatforge/chat/modules/notify/internal/app"
	"github.com/chatforge/chat/modules/notify/internal/domain"
	"github.com/chatforge/chat/platform/egress"
)

// Config is the VAPID identity and delivery options.
type Config struct {
	PublicKey, PrivateKey string
	Subject               string // contact, "mailto:" stripped (the library adds it)
	TTL                   time.Duration
	// Guard decides which endpoints may be dialled. The endpoint is user
	// input: the worker must not be a proxy into the internal network, and
	// the guard checks every address at dial time, so a stored endpoint
	// that resolves (or rebinds) to an internal address is never reached.
	Guard *egress.Guard
}

// Pusher implements app.Pusher. Safe for concurrent use.
type Pusher struct {
	cfg    Config
	client *http.Client
}

var _ app.Pusher = (*Pusher)(nil)

// New returns a Pusher; cfg.Guard nil is the strictest guard (public https
// endpoints only).
func New(cfg Config) *Pusher {
	if cfg.Guard == nil {
		cfg.Guard = egress.New(egress.Policy{}, nil)
	}
	return &Pusher{cfg: cfg, client: cfg.Guard.Client(egress.ClientOptions{DialTimeout: 5 * time.Second, Timeout: 15 * time.Second})}
}

// Push implements app.Pusher.
func (p *Pusher) Push(ctx context.Context, s domain.Subscription, payload []byte, topic string) error {
	res, err := wp.SendNotificationWithContext(ctx, payload,
		&wp.Subscription{Endpoint: s.Endpoint, Keys: wp.Keys{Auth: s.Auth, P256dh: s.P256DH}},
		&wp.Options{
			HTTPClient: p.client, Subscriber: p.cfg.Subject, Topic: topic, Urgency: wp.UrgencyNormal,
			TTL: int(p.cfg.TTL.Seconds()), VAPIDPublicKey: p.cfg.PublicKey, VAPIDPrivateKey: p.cfg.PrivateKey,
		})
	var ne net.Error
	transient := errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded)
	if ue := (*url.Error)(nil); errors.As(err, &ue) {
		err = ue.Err // its message holds the endpoint's path: the subscription's secret
	}
	if errors.Is(err, egress.ErrRefused) {
		// The endpoint leads somewhere the worker must not go, and will on
		// every try: the subscription is dropped like one the push service
		// says is gone, not retried.
		return fmt.Errorf("push %s: %w: %w", host(s.Endpoint), err, domain.ErrGone)
	}
	if err != nil {
		if transient {
			return fmt.Errorf("push %s: %w", host(s.Endpoint), err)
		}
		// Bad keys in a stored subscription: retrying will not help.
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
