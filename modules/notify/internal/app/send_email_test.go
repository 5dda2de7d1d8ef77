package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/chatforge/chat/modules/notify/internal/domain"
)

// memLedger is an in-memory Ledger with the same claim rules as the SQL.
type memLedger struct {
	rows map[string]*ledgerRow
}

type ledgerRow struct {
	status   string
	claimed  time.Time
	attempts int
}

func (l *memLedger) Claim(_ context.Context, e domain.Email, _ string, now, stale time.Time) (Claim, error) {
	r := l.rows[e.Key]
	switch {
	case r == nil:
		l.rows[e.Key] = &ledgerRow{status: "sending", claimed: now, attempts: 1}
		return ClaimGranted, nil
	case r.status == "sent":
		return ClaimAlreadySent, nil
	case r.status == "sending" && !r.claimed.Before(stale):
		return ClaimBusy, nil
	}
	r.status, r.claimed = "sending", now
	r.attempts++
	return ClaimGranted, nil
}

func (l *memLedger) MarkSent(_ context.Context, key string, _ time.Time) error {
	l.rows[key].status = "sent"
	return nil
}

func (l *memLedger) MarkFailed(_ context.Context, key, _ string, _ time.Time) error {
	l.rows[key].status = "failed"
	return nil
}

func (l *memLedger) Release(_ context.Context, key, _ string) error {
	l.rows[key].status = "retry"
	return nil
}

// scriptedMailer returns its errors in order, then succeeds.
type scriptedMailer struct {
	errs []error
	sent int
}

func (m *scriptedMailer) Domain() string { return "example.com" }
func (m *scriptedMailer) Send(context.Context, domain.Email, string) error {
	if len(m.errs) > 0 {
		err := m.errs[0]
		m.errs = m.errs[1:]
		return err
	}
	m.sent++
	return nil
}

func newSender(m Mailer, l *memLedger, now *time.Time) *EmailSender {
	return NewEmailSender(l, m, slog.New(slog.DiscardHandler), func() time.Time { return *now }, 30*time.Second)
}

func TestEmailSenderSendsOnce(t *testing.T) {
	now := time.Now()
	l, m := &memLedger{rows: map[string]*ledgerRow{}}, &scriptedMailer{}
	s := newSender(m, l, &now)
	e := domain.Email{Kind: domain.KindVerify, Key: "verify:k", To: "a@b.c"}
	for range 3 {
		if err := s.Send(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	if m.sent != 1 {
		t.Errorf("sent %d mails for one key, want 1", m.sent)
	}
}

func TestEmailSenderTransientThenRetry(t *testing.T) {
	now := time.Now()
	l := &memLedger{rows: map[string]*ledgerRow{}}
	m := &scriptedMailer{errs: []error{errors.New("connection refused")}}
	s := newSender(m, l, &now)
	e := domain.Email{Kind: domain.KindVerify, Key: "verify:k"}
	if err := s.Send(context.Background(), e); err == nil {
		t.Fatal("want the transient error")
	}
	// The failed attempt released its claim: the retry goes at once.
	if err := s.Send(context.Background(), e); err != nil || m.sent != 1 {
		t.Fatalf("retry: err %v, sent %d", err, m.sent)
	}
	if l.rows["verify:k"].attempts != 2 {
		t.Errorf("attempts %d, want 2", l.rows["verify:k"].attempts)
	}
}

func TestEmailSenderPermanent(t *testing.T) {
	now := time.Now()
	l := &memLedger{rows: map[string]*ledgerRow{}}
	m := &scriptedMailer{errs: []error{fmt.Errorf("550 no such user: %w", domain.ErrPermanent)}}
	s := newSender(m, l, &now)
	err := s.Send(context.Background(), domain.Email{Kind: domain.KindVerify, Key: "verify:p"})
	if !errors.Is(err, domain.ErrPermanent) || l.rows["verify:p"].status != "failed" {
		t.Fatalf("err %v, ledger %+v; want ErrPermanent and a failed row", err, l.rows["verify:p"])
	}
}

func TestEmailSenderBusyWhileClaimed(t *testing.T) {
	now := time.Now()
	l := &memLedger{rows: map[string]*ledgerRow{"verify:b": {status: "sending", claimed: now}}}
	m := &scriptedMailer{}
	s := newSender(m, l, &now)
	e := domain.Email{Kind: domain.KindVerify, Key: "verify:b"}
	if err := s.Send(context.Background(), e); !errors.Is(err, domain.ErrBusy) || m.sent != 0 {
		t.Fatalf("fresh claim of another worker: err %v, sent %d; want ErrBusy and no mail", err, m.sent)
	}
	// A crashed worker's claim goes stale and the mail is sent.
	now = now.Add(time.Minute)
	if err := s.Send(context.Background(), e); err != nil || m.sent != 1 {
		t.Fatalf("stale claim: err %v, sent %d", err, m.sent)
	}
}
