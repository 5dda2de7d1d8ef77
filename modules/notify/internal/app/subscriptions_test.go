package app

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/chatforge/chat/modules/notify/internal/domain"
	"github.com/chatforge/chat/platform/egress"
)

type memRepo struct{ stored []domain.Subscription }

func (r *memRepo) Upsert(_ context.Context, s domain.Subscription) (domain.Subscription, error) {
	r.stored = append(r.stored, s)
	return s, nil
}
func (r *memRepo) ListByUser(context.Context, string) ([]domain.Subscription, error) {
	return r.stored, nil
}
func (r *memRepo) Delete(context.Context, string, string) error { return nil }

// tableResolver resolves from a table; "dns-down.example" fails as a
// resolver outage does.
type tableResolver map[string]string

func (t tableResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if host == "dns-down.example" {
		return nil, &net.DNSError{Err: "server misbehaving", Name: host, IsTemporary: true}
	}
	ip, ok := t[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return []netip.Addr{netip.MustParseAddr(ip)}, nil
}

func subscriptionKeys(t *testing.T) (p256dh, auth string) {
	t.Helper()
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	secret := make([]byte, 16)
	_, _ = rand.Read(secret)
	return base64.RawURLEncoding.EncodeToString(k.PublicKey().Bytes()), base64.RawURLEncoding.EncodeToString(secret)
}

// TestRegisterRefusesInternalEndpoints: the endpoint's host is resolved
// and an internal address refused before anything is stored.
func TestRegisterRefusesInternalEndpoints(t *testing.T) {
	t.Parallel()
	res := tableResolver{"fcm.example.com": "142.250.74.138", "rebound.example.com": "127.0.0.1", "meta.example.com": "169.254.169.254"}
	repo := &memRepo{}
	subs := NewSubscriptions(repo, egress.New(egress.Policy{}, res), false, time.Now)
	p256dh, auth := subscriptionKeys(t)
	register := func(endpoint string) error {
		_, err := subs.Register(t.Context(), "u1", "s1", endpoint, p256dh, auth, "ua")
		return err
	}
	for _, endpoint := range []string{
		"https://127.0.0.1:8443/push", "https://169.254.169.254/latest/meta-data/", "https://[::1]/p",
		"https://[fd00:ec2::254]/p", "https://rebound.example.com/p", "https://meta.example.com/p",
	} {
		if err := register(endpoint); !errors.Is(err, egress.ErrRefused) {
			t.Errorf("Register(%s) = %v, want ErrRefused", endpoint, err)
		}
	}
	if err := register("https://nowhere.example.com/p"); !errors.Is(err, egress.ErrUnresolvable) {
		t.Errorf("unknown host: %v", err)
	}
	var dnsErr *net.DNSError
	if err := register("https://dns-down.example/p"); !errors.As(err, &dnsErr) || dnsErr.IsNotFound {
		t.Errorf("resolver outage: %v, want the resolver's error", err)
	}
	if len(repo.stored) != 0 {
		t.Fatalf("stored %d refused subscriptions", len(repo.stored))
	}
	if err := register("https://fcm.example.com/fcm/send/abc"); err != nil || len(repo.stored) != 1 {
		t.Fatalf("public endpoint: %v (stored %d)", err, len(repo.stored))
	}

	lax := NewSubscriptions(repo, egress.New(egress.Policy{AllowPrivate: true, AllowHTTP: true}, res), true, time.Now)
	if _, err := lax.Register(t.Context(), "u1", "s1", "http://127.0.0.1:9/push", p256dh, auth, "ua"); err != nil {
		t.Errorf("ALLOW_PRIVATE_WEBHOOKS: %v", err)
	}
}
