package domain

import (
	"crypto/ecdh"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"time"
)

// MaxSubscriptionsPerUser bounds the devices a user may register; the
// oldest are dropped past it (devices churn, and a forgotten browser should
// not block a new phone).
const MaxSubscriptionsPerUser = 20

// Subscription is a browser's Web Push subscription (the PushSubscription
// JSON of the Push API). Invariants (NewSubscription): Endpoint is an
// absolute URL (https unless insecure endpoints are allowed), P256DH is an
// uncompressed P-256 point and Auth a 16-byte secret, both base64url.
//
// A subscription belongs to the session that registered it (SessionID) and
// lives only as long as that session: once the session is logged out,
// revoked (a password reset revokes them all) or expired, no push goes to
// it and it is neither listed nor kept. Pushes carry message previews; a
// stolen session must not keep receiving them after the victim acts.
type Subscription struct {
	ID            string
	UserID        string
	SessionID     string
	Endpoint      string
	P256DH        string
	Auth          string
	UserAgent     string
	CreatedAt     time.Time
	LastSuccessAt time.Time
}

// NewSubscription validates a subscription offered by a client. allowHTTP
// admits http:// endpoints (development and tests use a local push
// service); production requires https, since the worker POSTs to whatever
// URL is stored.
//
// userID and sessionID are the authenticated caller, never client input.
func NewSubscription(id, userID, sessionID, endpoint, p256dh, auth, userAgent string, allowHTTP bool, now time.Time) (Subscription, error) {
	if userID == "" || sessionID == "" {
		// A wiring bug (no authenticated principal), not a client mistake.
		return Subscription{}, errors.New("push subscription: no user or session")
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || len(endpoint) > 2048 || u.User != nil {
		return Subscription{}, invalid("endpoint", "must be an absolute URL of at most 2048 characters")
	}
	if u.Scheme != "https" && !(allowHTTP && u.Scheme == "http") {
		return Subscription{}, invalid("endpoint", "must use https")
	}
	pub, err := decodeKey(p256dh)
	if err != nil {
		return Subscription{}, invalid("keys.p256dh", "must be base64url")
	}
	if _, err := ecdh.P256().NewPublicKey(pub); err != nil || len(pub) != 65 {
		return Subscription{}, invalid("keys.p256dh", "must be an uncompressed P-256 public key")
	}
	secret, err := decodeKey(auth)
	if err != nil || len(secret) != 16 {
		return Subscription{}, invalid("keys.auth", "must be 16 bytes, base64url")
	}
	if len(userAgent) > 512 {
		userAgent = userAgent[:512]
	}
	return Subscription{
		ID: id, UserID: userID, SessionID: sessionID, Endpoint: endpoint, P256DH: p256dh, Auth: auth,
		UserAgent: strings.ToValidUTF8(userAgent, ""), CreatedAt: now,
	}, nil
}

// decodeKey accepts base64url with or without padding, as browsers and
// libraries differ.
func decodeKey(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}
