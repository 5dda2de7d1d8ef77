package webpush

import (
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	wp "github.com/SherClockHolmes/webpush-go"

	"github.com/chatforge/chat/modules/notify/internal/domain"
	"github.com/chatforge/chat/platform/egress"
)

// localPushService counts the pushes it gets and answers 201.
func localPushService(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func testPusher(t *testing.T, p egress.Policy) *Pusher {
	t.Helper()
	priv, pub, err := wp.GenerateVAPIDKeys()
	if err != nil {
		t.Fatal(err)
	}
	return New(Config{PublicKey: pub, PrivateKey: priv, Subject: "ops@example.com", TTL: time.Minute,
		Guard: egress.New(p, nil)})
}

func testSubscription(t *testing.T, endpoint string) domain.Subscription {
	t.Helper()
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	secret := make([]byte, 16)
	_, _ = rand.Read(secret)
	return domain.Subscription{ID: "s1", UserID: "u1", Endpoint: endpoint,
		P256DH: base64.RawURLEncoding.EncodeToString(k.PublicKey().Bytes()),
		Auth:   base64.RawURLEncoding.EncodeToString(secret)}
}

// TestPushRefusesInternalEndpoint: a stored subscription whose endpoint
// leads to a listening local server is not dialled when private targets
// are not allowed, and the error says to drop it (ErrGone), not to retry.
func TestPushRefusesInternalEndpoint(t *testing.T) {
	t.Parallel()
	srv, hits := localPushService(t)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	p := testPusher(t, egress.Policy{AllowHTTP: true})
	for _, endpoint := range []string{srv.URL + "/push/1", "http://localhost:" + port + "/push/2"} {
		err := p.Push(t.Context(), testSubscription(t, endpoint), []byte(`{"type":"message"}`), "room")
		if !errors.Is(err, domain.ErrGone) || !errors.Is(err, egress.ErrRefused) {
			t.Errorf("Push(%s) = %v, want ErrGone from a refused destination", endpoint, err)
		}
		var ne net.Error
		if errors.As(err, &ne) && !errors.Is(err, domain.ErrGone) {
			t.Errorf("Push(%s) = %v looks transient", endpoint, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the local server got %d pushes", n)
	}
}

// TestPushAllowPrivate: with ALLOW_PRIVATE_WEBHOOKS the same local push
// service is reached (development and tests).
func TestPushAllowPrivate(t *testing.T) {
	t.Parallel()
	srv, hits := localPushService(t)
	p := testPusher(t, egress.Policy{AllowHTTP: true, AllowPrivate: true})
	if err := p.Push(t.Context(), testSubscription(t, srv.URL+"/push/1"), []byte(`{}`), "room"); err != nil {
		t.Fatal(err)
	}
	if hits.Load() != 1 {
		t.Fatalf("hits %d, want 1", hits.Load())
	}
}

// TestPushNoHTTPWithoutPolicy: http:// endpoints are refused (and dropped)
// when the policy wants https, as in production.
func TestPushNoHTTPWithoutPolicy(t *testing.T) {
	t.Parallel()
	srv, hits := localPushService(t)
	p := testPusher(t, egress.Policy{AllowPrivate: true})
	err := p.Push(t.Context(), testSubscription(t, srv.URL+"/push/1"), []byte(`{}`), "room")
	if !errors.Is(err, domain.ErrGone) || hits.Load() != 0 {
		t.Fatalf("Push over http = %v (hits %d), want a refusal", err, hits.Load())
	}
}
