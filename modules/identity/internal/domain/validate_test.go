package domain_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/chatforge/chat/modules/identity/internal/domain"
)

func TestParseEmail(t *testing.T) {
	t.Parallel()
	ok := map[string]string{
		"a@example.com":            "a@example.com",
		"  Bob.Smith@Example.COM ": "bob.smith@example.com",
		"x+tag@sub.example.io":     "x+tag@sub.example.io",
	}
	for in, want := range ok {
		got, err := domain.ParseEmail(in)
		if err != nil || got.String() != want {
			t.Errorf("ParseEmail(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	bad := []string{"", "   ", "no-at", "a@", "@b.io", "Bob <bob@x.io>", "a b@x.io", strings.Repeat("a", 250) + "@x.io"}
	for _, in := range bad {
		if _, err := domain.ParseEmail(in); !errors.Is(err, domain.ErrInvalidInput) {
			t.Errorf("ParseEmail(%q) err = %v; want ErrInvalidInput", in, err)
		}
	}
}

func TestParsePassword(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"12345678", " spaces ok ", strings.Repeat("é", 128)} {
		if _, err := domain.ParsePassword(in); err != nil {
			t.Errorf("ParsePassword(%q): %v", in, err)
		}
	}
	for _, in := range []string{"", "1234567", strings.Repeat("é", 129), "\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8"} {
		_, err := domain.ParsePassword(in)
		var ie *domain.InvalidError
		if !errors.As(err, &ie) || ie.Field != "password" {
			t.Errorf("ParsePassword(%q) err = %v; want field error on password", in, err)
		}
	}
	if p, _ := domain.ParsePassword("secret-pw"); p.String() == "secret-pw" || p.LogValue().String() == "secret-pw" {
		t.Error("Password must redact itself when printed")
	}
}

func TestParseDisplayName(t *testing.T) {
	t.Parallel()
	got, err := domain.ParseDisplayName("  Ada Lovelace \n")
	if err != nil || got != "Ada Lovelace" {
		t.Fatalf("got %q, %v", got, err)
	}
	if _, err := domain.ParseDisplayName(strings.Repeat("ü", 64)); err != nil {
		t.Errorf("64 runes: %v", err)
	}
	for _, in := range []string{"", "  \t", strings.Repeat("ü", 65), "bad\x00name", "a\u0085b"} {
		if _, err := domain.ParseDisplayName(in); !errors.Is(err, domain.ErrInvalidInput) {
			t.Errorf("ParseDisplayName(%q) err = %v; want ErrInvalidInput", in, err)
		}
	}
}

func TestRenameField(t *testing.T) {
	t.Parallel()
	_, err := domain.ParsePassword("short")
	err = domain.RenameField(err, "newPassword")
	var ie *domain.InvalidError
	if !errors.As(err, &ie) || ie.Field != "newPassword" || !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("got %v", err)
	}
	if other := errors.New("x"); domain.RenameField(other, "f") != other {
		t.Error("non-field errors must pass through")
	}
}
