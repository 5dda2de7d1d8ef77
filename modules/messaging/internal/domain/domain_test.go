package domain_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

func TestValidateContent(t *testing.T) {
	for content, ok := range map[string]bool{
		"hi": true, " padded ": true, "<b>ok</b>": true, "日本語": true, strings.Repeat("é", 10): true,
		"": false, " \t\n": false, "\u00a0\u2003": false, "a\xffb": false, "a\x00b": false, strings.Repeat("é", 11): false,
	} {
		err := domain.ValidateContent(content, 10)
		if (err == nil) != ok || (err != nil && !errors.Is(err, domain.ErrInvalid)) {
			t.Errorf("ValidateContent(%q) = %v, want ok=%v", content, err, ok)
		}
	}
}

func TestAccessRules(t *testing.T) {
	type want struct{ read, post, manage error }
	room := func(k domain.Kind) domain.Room { return domain.Room{ID: "r", Kind: k} }
	for _, c := range []struct {
		kind domain.Kind
		role domain.Role
		want want
	}{
		{domain.KindGlobal, domain.RoleNone, want{nil, nil, domain.ErrConflict}},
		{domain.KindPublic, domain.RoleNone, want{nil, domain.ErrForbidden, domain.ErrForbidden}},
		{domain.KindPublic, domain.RoleMember, want{nil, nil, domain.ErrForbidden}},
		{domain.KindPublic, domain.RoleOwner, want{nil, nil, nil}},
		{domain.KindPrivate, domain.RoleNone, want{domain.ErrNotFound, domain.ErrNotFound, domain.ErrNotFound}},
		{domain.KindPrivate, domain.RoleMember, want{nil, nil, domain.ErrForbidden}},
		{domain.KindPrivate, domain.RoleOwner, want{nil, nil, nil}},
		{domain.KindDirect, domain.RoleNone, want{domain.ErrNotFound, domain.ErrNotFound, domain.ErrNotFound}},
		{domain.KindDirect, domain.RoleMember, want{nil, nil, domain.ErrConflict}},
	} {
		a := domain.Access{Room: room(c.kind), Role: c.role}
		for name, got := range map[string][2]error{
			"read": {a.CanRead(), c.want.read}, "post": {a.CanPost(), c.want.post}, "manage": {a.CanManage(), c.want.manage},
		} {
			if !errors.Is(got[0], got[1]) || (got[1] == nil) != (got[0] == nil) {
				t.Errorf("%s room, role %q: %s = %v, want %v", c.kind, c.role, name, got[0], got[1])
			}
		}
	}
}

func TestDirectRoomPairIsOrdered(t *testing.T) {
	a, _ := domain.NewDirectRoom("x", "b-user", "a-user", domain.Room{}.CreatedAt)
	b, _ := domain.NewDirectRoom("y", "a-user", "b-user", domain.Room{}.CreatedAt)
	if a.Pair != b.Pair || a.Pair[0] != "a-user" || a.Peer("a-user") != "b-user" {
		t.Errorf("pairs %v and %v", a.Pair, b.Pair)
	}
}

func TestValidateBody(t *testing.T) {
	for _, tc := range []struct {
		content string
		n       int
		ok      bool
	}{{"", 1, true}, {"", 10, true}, {"hi", 2, true}, {"", 0, false}, {" ", 1, false}, {"hi", 11, false}, {"", 11, false}} {
		if err := domain.ValidateBody(tc.content, tc.n, 100); (err == nil) != tc.ok || (err != nil && !errors.Is(err, domain.ErrInvalid)) {
			t.Errorf("ValidateBody(%q, %d) = %v, want ok %v", tc.content, tc.n, err, tc.ok)
		}
	}
}
