package calls

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/chatforge/chat/modules/calls/internal/domain"
	"github.com/chatforge/chat/modules/messaging/wire"
)

// The refusals HandleCommand answers before any use case runs, and the
// error table.
func TestHandleCommandRefusals(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	m := &Module{now: func() time.Time { return now }}
	const id = "6b0f3c9e-59d5-4b7a-9a39-0d2b7e2f5a11"
	for _, tt := range []struct {
		name string
		cmd  wire.Command
		code string
	}{
		{"stale", wire.Command{Type: wire.CmdCallHangup, SessionID: "s", SentAt: now.Add(-11 * time.Second), Data: []byte(`{"callId":"` + id + `"}`)}, wire.CodeUnavailable},
		{"no session", wire.Command{Type: wire.CmdCallHangup, Data: []byte(`{"callId":"` + id + `"}`)}, wire.CodeForbidden},
		{"bad id", wire.Command{Type: wire.CmdCallHangup, SessionID: "s", Data: []byte(`{"callId":"x"}`)}, wire.CodeBadRequest},
		{"not json", wire.Command{Type: wire.CmdCallAnswer, SessionID: "s", Data: []byte(`{`)}, wire.CodeBadRequest},
		{"no sdp", wire.Command{Type: wire.CmdCallAnswer, SessionID: "s", Data: []byte(`{"callId":"` + id + `"}`)}, wire.CodeBadRequest},
		{"no candidate", wire.Command{Type: wire.CmdCallICE, SessionID: "s", Data: []byte(`{"callId":"` + id + `"}`)}, wire.CodeBadRequest},
		{"media", wire.Command{Type: wire.CmdCallInvite, SessionID: "s", Data: []byte(`{"callId":"` + id + `","roomId":"` + id + `","media":"fax","sdp":"x"}`)}, wire.CodeBadRequest},
		{"unknown", wire.Command{Type: "call-transfer", SessionID: "s", Data: []byte(`{}`)}, wire.CodeBadRequest},
	} {
		_, err := m.HandleCommand(t.Context(), tt.cmd)
		var we *wire.Error
		if !errors.As(err, &we) || we.Code != tt.code {
			t.Errorf("%s: %v, want %s", tt.name, err, tt.code)
		}
	}
	for err, code := range map[error]string{
		domain.ErrNotFound: wire.CodeNotFound, domain.ErrOver: CodeCallOver,
		fmt.Errorf("%w: nobody else", domain.ErrInvalid): wire.CodeBadRequest, domain.ErrForbidden: wire.CodeForbidden,
	} {
		var we *wire.Error
		if !errors.As(commandError(err), &we) || we.Code != code || we.Message == "" {
			t.Errorf("%v -> %v, want %s", err, commandError(err), code)
		}
	}
	if e := commandError(fmt.Errorf("%w: nobody else", domain.ErrInvalid)).(*wire.Error); e.Message != "nobody else" {
		t.Errorf("message %q", e.Message)
	}
	outage := errors.New("connection refused")
	if commandError(outage) != outage {
		t.Error("an unknown error must go back as is (the consumer classifies it)")
	}
}
