package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/chatforge/chat/modules/notify/internal/domain"
)

// Claim is the ledger's answer to "may I send this e-mail now?".
type Claim int

// Ledger answers.
const (
	ClaimGranted     Claim = iota // not sent yet and nobody else is on it: send it
	ClaimAlreadySent              // sent before: do nothing
	ClaimBusy                     // another worker claimed it recently: come back later
)

// Ledger is the idempotency record of e-mails, keyed by Email.Key.
type Ledger interface {
	// Claim marks e as being sent by the caller unless it was sent already
	// or someone else claimed it after staleBefore.
	Claim(ctx context.Context, e domain.Email, messageID string, now, staleBefore time.Time) (Claim, error)
	MarkSent(ctx context.Context, key string, now time.Time) error
	// MarkFailed records a permanent refusal.
	MarkFailed(ctx context.Context, key, reason string, now time.Time) error
	// Release gives the claim up after an attempt that did not hand the
	// mail over, so the retry may claim it at once.
	Release(ctx context.Context, key, reason string) error
}

// Mailer delivers one e-mail. Its errors wrap domain.ErrPermanent (refused
// for good), domain.ErrUnavailable (circuit open) or are transient.
type Mailer interface {
	Send(ctx context.Context, e domain.Email, messageID string) error
	// Domain is the From address's domain, for Message-IDs.
	Domain() string
}

// EmailSender sends transactional e-mails exactly once per key as far as a
// worker that survives the SMTP exchange can tell: a crash between the
// server's "250 OK" and MarkSent is the one window for a duplicate, and the
// duplicate then carries the same Message-ID.
type EmailSender struct {
	ledger Ledger
	mailer Mailer
	log    *slog.Logger
	now    func() time.Time
	// claimTTL is how long a claim keeps other workers off; longer than
	// one SMTP exchange, shorter than asynq's crash recovery (~60 s).
	claimTTL time.Duration
}

// NewEmailSender wires the use case.
func NewEmailSender(l Ledger, m Mailer, log *slog.Logger, now func() time.Time, claimTTL time.Duration) *EmailSender {
	return &EmailSender{ledger: l, mailer: m, log: log, now: now, claimTTL: claimTTL}
}

// Send sends e unless the ledger says it went out already. It returns nil
// when the e-mail is (or was) sent; errors wrap domain.ErrPermanent,
// domain.ErrUnavailable, domain.ErrBusy or are transient.
func (s *EmailSender) Send(ctx context.Context, e domain.Email) error {
	now := s.now()
	msgID := e.MessageID(s.mailer.Domain())
	claim, err := s.ledger.Claim(ctx, e, msgID, now, now.Add(-s.claimTTL))
	if err != nil {
		return fmt.Errorf("claim %s: %w", e.Key, err)
	}
	switch claim {
	case ClaimAlreadySent:
		s.log.InfoContext(ctx, "email already sent, skipping duplicate", "kind", e.Kind, "key", e.Key)
		return nil
	case ClaimBusy:
		return fmt.Errorf("email %s: %w", e.Key, domain.ErrBusy)
	}
	if err := s.mailer.Send(ctx, e, msgID); err != nil {
		// Background context: a cancelled task must still leave the ledger
		// right.
		bg := context.WithoutCancel(ctx)
		var mErr error
		if errors.Is(err, domain.ErrPermanent) {
			mErr = s.ledger.MarkFailed(bg, e.Key, err.Error(), s.now())
		} else {
			mErr = s.ledger.Release(bg, e.Key, err.Error())
		}
		if mErr != nil {
			// A claim left behind only delays the retry until it is stale.
			s.log.WarnContext(ctx, "email ledger: record failure", "key", e.Key, "err", mErr)
		}
		return err
	}
	// The mail is out: the ledger must say so even if the task's context
	// ends now, or a retry would send it again.
	if err := s.ledger.MarkSent(context.WithoutCancel(ctx), e.Key, s.now()); err != nil {
		// Not returned as a task failure: a retry would resend. The stale
		// claim is the only trace; log loudly.
		s.log.ErrorContext(ctx, "email sent but ledger not updated; a redelivery may resend it", "key", e.Key, "err", err)
	}
	s.log.InfoContext(ctx, "email sent", "kind", e.Kind, "key", e.Key, "message_id", msgID)
	return nil
}
