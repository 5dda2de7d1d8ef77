package domain_test

import (
	"errors"
	"testing"
	"time"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

func TestSafetyAccessRules(t *testing.T) {
	now := time.Now()
	pub := domain.Room{ID: "r", Kind: domain.KindPublic}
	priv := domain.Room{ID: "r", Kind: domain.KindPrivate}
	dm := domain.Room{ID: "r", Kind: domain.KindDirect}
	cases := []struct {
		name       string
		acc        domain.Access
		read, post error
	}{
		{"muted member", domain.Access{Room: pub, Role: domain.RoleMember, MutedUntil: now.Add(time.Hour)}, nil, domain.ErrMuted},
		{"muted moderator", domain.Access{Room: priv, Role: domain.RoleModerator, MutedUntil: now.Add(time.Hour)}, nil, domain.ErrMuted},
		{"banned from a public room", domain.Access{Room: pub, Banned: true}, domain.ErrBanned, domain.ErrBanned},
		{"banned from a private room", domain.Access{Room: priv, Banned: true}, domain.ErrNotFound, domain.ErrNotFound},
		{"direct room across a block", domain.Access{Room: dm, Role: domain.RoleMember, Blocked: true}, nil, domain.ErrBlocked},
		{"direct room", domain.Access{Room: dm, Role: domain.RoleMember}, nil, nil},
	}
	for _, c := range cases {
		if err := c.acc.CanRead(); !errors.Is(err, c.read) || (c.read == nil) != (err == nil) {
			t.Errorf("%s: CanRead = %v, want %v", c.name, err, c.read)
		}
		if err := c.acc.CanPost(); !errors.Is(err, c.post) || (c.post == nil) != (err == nil) {
			t.Errorf("%s: CanPost = %v, want %v", c.name, err, c.post)
		}
	}
	for _, e := range []error{domain.ErrBlocked, domain.ErrMuted, domain.ErrBanned, domain.ErrUserBanned} {
		if !errors.Is(e, domain.ErrForbidden) {
			t.Errorf("%v does not match ErrForbidden", e)
		}
	}
}

func TestModerationRanks(t *testing.T) {
	now := time.Now()
	room := domain.Room{ID: "r", Kind: domain.KindPrivate}
	owner := domain.Access{Room: room, Role: domain.RoleOwner}
	mod := domain.Access{Room: room, Role: domain.RoleModerator}
	member := domain.Access{Room: room, Role: domain.RoleMember}
	tMember := domain.Target{UserID: "m", Role: domain.RoleMember}
	tMod := domain.Target{UserID: "d", Role: domain.RoleModerator}
	tOwner := domain.Target{UserID: "o", Role: domain.RoleOwner}
	later := now.Add(time.Hour)

	if _, err := domain.SetRole(mod, "d", tMember, domain.RoleModerator); !errors.Is(err, domain.ErrForbidden) {
		t.Errorf("moderator sets a role: %v", err)
	}
	if _, err := domain.SetRole(owner, "o", tMember, domain.RoleOwner); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("owner role granted: %v", err)
	}
	if _, err := domain.SetRole(owner, "o", domain.Target{UserID: "x"}, domain.RoleModerator); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("role of a non-member: %v", err)
	}
	if a, err := domain.SetRole(owner, "o", tMod, domain.RoleModerator); err != nil || !a.Noop {
		t.Errorf("same role: %+v %v", a, err)
	}
	if _, err := domain.Mute(mod, "d", tMember, later, now, ""); err != nil {
		t.Errorf("moderator mutes a member: %v", err)
	}
	if _, err := domain.Mute(mod, "d", tOwner, later, now, ""); !errors.Is(err, domain.ErrForbidden) {
		t.Errorf("moderator mutes the owner: %v", err)
	}
	if _, err := domain.Ban(mod, "d", domain.Target{UserID: "d2", Role: domain.RoleModerator}, time.Time{}, now, ""); !errors.Is(err, domain.ErrForbidden) {
		t.Errorf("moderator bans a moderator: %v", err)
	}
	if a, err := domain.Ban(owner, "o", tMod, time.Time{}, now, ""); err != nil || !a.Removes {
		t.Errorf("owner bans a moderator: %+v %v", a, err)
	}
	if a, err := domain.Ban(mod, "d", domain.Target{UserID: "x"}, time.Time{}, now, ""); err != nil || a.Removes {
		t.Errorf("ban ahead of joining: %+v %v", a, err)
	}
	if _, err := domain.Mute(member, "m", domain.Target{UserID: "z", Role: domain.RoleMember}, later, now, ""); !errors.Is(err, domain.ErrForbidden) {
		t.Errorf("member mutes: %v", err)
	}
	if _, err := domain.Mute(owner, "o", tMember, now.Add(-time.Second), now, ""); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("mute in the past: %v", err)
	}
	if _, err := domain.Mute(owner, "o", tOwner, later, now, ""); err == nil {
		t.Error("owner mutes an equal rank")
	}
}

func TestHiddenMessageRedaction(t *testing.T) {
	m := domain.Message{ID: "m", Content: "secret", Attachments: []domain.Attachment{{ID: "a"}}}
	if !m.Hide("spam") || m.Hide("spam") {
		t.Fatal("Hide: first must change, second not")
	}
	if r := m.For(domain.Access{Role: domain.RoleMember}); r.Content != "" || r.Attachments != nil || !r.Hidden() {
		t.Errorf("member view = %+v", r)
	}
	if r := m.For(domain.Access{Role: domain.RoleModerator}); r.Content != "secret" {
		t.Errorf("moderator view = %+v", r)
	}
	if !m.Unhide() || m.Hidden() {
		t.Error("Unhide")
	}
	if v := (domain.Message{Content: "hi"}); v.Redacted().Content != "hi" {
		t.Error("a visible message lost its content")
	}
}
