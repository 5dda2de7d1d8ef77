package notify

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/chatforge/chat/platform/egress"
)

// PushConfig is the Web Push side. VAPID keys are base64url (RFC 8292):
// the public key an uncompressed P-256 point, the private key its scalar.
type PushConfig struct {
	VAPIDPublicKey  string // VAPID_PUBLIC_KEY; handed to browsers
	VAPIDPrivateKey string // VAPID_PRIVATE_KEY; worker only
	VAPIDSubject    string // VAPID_SUBJECT: mailto: or https: contact of the operator

	// RatePerMinute bounds the pushes one user gets, all rooms together
	// (PUSH_RATE_PER_MINUTE).
	RatePerMinute int
	// CollapseWindow gathers the messages of a room for one recipient into
	// one push (PUSH_COLLAPSE_WINDOW).
	CollapseWindow time.Duration
	// TTL is how long a push service keeps an undelivered push.
	TTL time.Duration
	// AllowHTTPEndpoints admits http:// subscription endpoints (local push
	// services in development and tests); production wants https.
	AllowHTTPEndpoints bool
	// AllowPrivateEndpoints admits endpoints on loopback, private,
	// link-local and other internal addresses (ALLOW_PRIVATE_WEBHOOKS, for
	// local push services in development and tests). Off, such endpoints
	// are refused at registration and never dialled by the worker;
	// cloud metadata addresses are refused either way.
	AllowPrivateEndpoints bool
	// Partitions is the number of event streams chat:events:{p}
	// (EVENT_STREAM_PARTITIONS), as the messaging module writes them.
	Partitions int
	// Consumer names this process in the "push" consumer group.
	Consumer string
}

func (p PushConfig) withDefaults() (PushConfig, error) {
	if p.RatePerMinute <= 0 {
		p.RatePerMinute = 10
	}
	if p.CollapseWindow <= 0 {
		p.CollapseWindow = 5 * time.Second
	}
	if p.TTL <= 0 {
		p.TTL = 6 * time.Hour
	}
	if p.Partitions <= 0 {
		p.Partitions = 4
	}
	// webpush-go prefixes "mailto:" itself unless the subject is https.
	p.VAPIDSubject = strings.TrimPrefix(p.VAPIDSubject, "mailto:")
	if (p.VAPIDPublicKey == "") != (p.VAPIDPrivateKey == "") && p.VAPIDPrivateKey != "" {
		return p, errors.New("VAPID private key given without its public key")
	}
	if p.VAPIDPrivateKey != "" && p.VAPIDSubject == "" {
		return p, fmt.Errorf("VAPID subject (a mailto: or https: contact) is required with a private key")
	}
	return p, nil
}

// egressPolicy is what push endpoints may reach.
func (p PushConfig) egressPolicy() egress.Policy {
	return egress.Policy{AllowPrivate: p.AllowPrivateEndpoints, AllowHTTP: p.AllowHTTPEndpoints}
}

// sendsPush reports whether this process delivers pushes (it has the
// private key).
func (p PushConfig) sendsPush() bool { return p.VAPIDPrivateKey != "" }
