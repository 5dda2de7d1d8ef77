package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
)

// Kind says which e-mail to send; each has its own templates and subject.
type Kind string

// The e-mails the module sends.
const (
	KindVerify        Kind = "verify"
	KindPasswordReset Kind = "password_reset"
	// KindWebhookDisabled tells a room's owner a webhook was disabled; its
	// link is the API call that enables it again.
	KindWebhookDisabled Kind = "webhook_disabled"
)

// Email is one transactional e-mail to send. Invariants (NewEmail): To is a
// single bare address, Link an absolute http(s) URL, Key non-empty.
type Email struct {
	Kind        Kind
	Key         string // idempotency key, see EmailKey
	UserID      string
	To          string
	DisplayName string
	Link        string
}

// EmailKey is the idempotency key of the e-mail carrying token: the kind and
// the token's SHA-256. A token is single-use and random, so the same token
// means the same e-mail whatever task (or task ID) carries it, and the raw
// token never reaches the ledger.
func EmailKey(kind Kind, token string) string {
	sum := sha256.Sum256([]byte(token))
	return string(kind) + ":" + hex.EncodeToString(sum[:])
}

// NewEmail validates the parts of an e-mail task. The link must lie under
// baseURL (PUBLIC_BASE_URL): a link pointing elsewhere is a bug or a forged
// task, and mailing it would be phishing on our behalf.
func NewEmail(kind Kind, userID, to, displayName, token, link, baseURL string) (Email, error) {
	if kind != KindVerify && kind != KindPasswordReset && kind != KindWebhookDisabled {
		return Email{}, fmt.Errorf("%w: unknown e-mail kind %q", ErrInvalid, kind)
	}
	if token == "" {
		return Email{}, fmt.Errorf("%w: empty token", ErrInvalid)
	}
	addr, err := mail.ParseAddress(to)
	if err != nil || addr.Address != strings.TrimSpace(to) {
		return Email{}, fmt.Errorf("%w: recipient %q is not a bare e-mail address", ErrInvalid, to)
	}
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Email{}, fmt.Errorf("%w: link is not an absolute http(s) URL", ErrInvalid)
	}
	if base := strings.TrimRight(baseURL, "/"); base != "" && !strings.HasPrefix(link, base+"/") {
		return Email{}, fmt.Errorf("%w: link does not lie under PUBLIC_BASE_URL %s", ErrInvalid, base)
	}
	name := strings.TrimSpace(displayName)
	if name == "" {
		name = addr.Address
	}
	return Email{
		Kind: kind, Key: EmailKey(kind, token), UserID: userID,
		To: addr.Address, DisplayName: name, Link: link,
	}, nil
}

// MessageID is the e-mail's RFC 5322 Message-ID (without the angle
// brackets), derived from its key so a resend after a crash carries the
// same one (mail systems drop such duplicates). domain is the From
// address's domain.
func (e Email) MessageID(domain string) string {
	sum := sha256.Sum256([]byte(e.Key))
	return hex.EncodeToString(sum[:16]) + "@" + domain
}
