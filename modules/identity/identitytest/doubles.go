package identitytest

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/chatforge/chat/modules/identity/internal/app"
)

// Mailer records queued e-mails. Set Err to make every send fail.
type Mailer struct {
	mu     sync.Mutex
	Err    error
	Verify []app.Mail
	Reset  []app.Mail
	// Requests are the forgot-password requests handed to the worker.
	Requests []app.ResetRequest
}

// RequestPasswordReset implements app.ResetRequests.
func (m *Mailer) RequestPasswordReset(_ context.Context, r app.ResetRequest) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Err != nil {
		return m.Err
	}
	m.Requests = append(m.Requests, r)
	return nil
}

// ResetRequests returns a copy of the recorded forgot-password requests.
func (m *Mailer) ResetRequests() []app.ResetRequest {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]app.ResetRequest(nil), m.Requests...)
}

// SendVerification implements app.Mailer.
func (m *Mailer) SendVerification(_ context.Context, mail app.Mail) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Err != nil {
		return m.Err
	}
	m.Verify = append(m.Verify, mail)
	return nil
}

// SendPasswordReset implements app.Mailer.
func (m *Mailer) SendPasswordReset(_ context.Context, mail app.Mail) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Err != nil {
		return m.Err
	}
	m.Reset = append(m.Reset, mail)
	return nil
}

// Sent returns copies of the recorded verification and reset e-mails.
func (m *Mailer) Sent() (verify, reset []app.Mail) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]app.Mail(nil), m.Verify...), append([]app.Mail(nil), m.Reset...)
}

// Revoker records revoked session IDs. Set Err to make Revoke fail (after
// nothing is recorded).
type Revoker struct {
	mu      sync.Mutex
	Err     error
	revoked map[string]bool
}

// Revoke implements app.Revoker.
func (r *Revoker) Revoke(_ context.Context, ids ...string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Err != nil {
		return r.Err
	}
	if r.revoked == nil {
		r.revoked = map[string]bool{}
	}
	for _, id := range ids {
		r.revoked[id] = true
	}
	return nil
}

// IsRevoked reports whether id was revoked.
func (r *Revoker) IsRevoked(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.revoked[id]
}

// Tokens is an app.AccessTokens that issues readable fake tokens
// "access:<user>:<session>:<n>" valid for TTL (15 minutes when zero).
type Tokens struct {
	mu  sync.Mutex
	n   int
	TTL time.Duration
}

// Sign implements app.AccessTokens.
func (t *Tokens) Sign(userID, sessionID string, now time.Time) (string, time.Time, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.n++
	ttl := t.TTL
	if ttl == 0 {
		ttl = 15 * time.Minute
	}
	return fmt.Sprintf("access:%s:%s:%d", userID, sessionID, t.n), now.Add(ttl), nil
}

// Compile-time proof that the fakes satisfy the ports.
var (
	_ app.Store         = (*Store)(nil)
	_ app.Mailer        = (*Mailer)(nil)
	_ app.ResetRequests = (*Mailer)(nil)
	_ app.Revoker       = (*Revoker)(nil)
	_ app.AccessTokens  = (*Tokens)(nil)
)
