package domain

import (
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestNewEmail(t *testing.T) {
	const base = "https://chat.example.com"
	ok, err := NewEmail(KindVerify, "u1", "Ann@Example.com", "  ", "tok", base+"/verify-email?token=tok", base)
	if err != nil {
		t.Fatal(err)
	}
	if ok.DisplayName != "Ann@Example.com" || ok.Key != EmailKey(KindVerify, "tok") {
		t.Errorf("email %+v", ok)
	}
	if strings.Contains(ok.Key, "tok") && !strings.HasPrefix(ok.Key, "verify:") {
		t.Errorf("key %q", ok.Key)
	}
	if EmailKey(KindVerify, "tok") == EmailKey(KindPasswordReset, "tok") {
		t.Error("keys of different kinds collide")
	}
	for name, tc := range map[string]struct {
		kind            Kind
		to, token, link string
	}{
		"unknown kind":      {"welcome", "a@b.c", "t", base + "/x"},
		"no token":          {KindVerify, "a@b.c", "", base + "/x"},
		"two recipients":    {KindVerify, "a@b.c, d@e.f", "t", base + "/x"},
		"named recipient":   {KindVerify, "Eve <a@b.c>", "t", base + "/x"},
		"relative link":     {KindVerify, "a@b.c", "t", "/verify-email?token=t"},
		"foreign link":      {KindVerify, "a@b.c", "t", "https://evil.example/verify-email?token=t"},
		"prefix-only match": {KindVerify, "a@b.c", "t", base + ".evil.example/x"},
	} {
		if _, err := NewEmail(tc.kind, "u", tc.to, "n", tc.token, tc.link, base); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err %v, want ErrInvalid", name, err)
		}
	}
}

func TestMessageIDIsStablePerKey(t *testing.T) {
	a := Email{Key: EmailKey(KindVerify, "x")}
	b := Email{Key: EmailKey(KindVerify, "y")}
	if a.MessageID("d.example") != a.MessageID("d.example") || a.MessageID("d.example") == b.MessageID("d.example") {
		t.Error("Message-ID must be a function of the key")
	}
	if !strings.HasSuffix(a.MessageID("d.example"), "@d.example") {
		t.Errorf("Message-ID %q", a.MessageID("d.example"))
	}
}

func TestNewSubscription(t *testing.T) {
	priv, _ := ecdh.P256().GenerateKey(rand.Reader)
	p256 := base64.RawURLEncoding.EncodeToString(priv.PublicKey().Bytes())
	auth := base64.RawURLEncoding.EncodeToString(make([]byte, 16))
	now := time.Now()
	if _, err := NewSubscription("id", "u", "s", "https://push.example/abc", p256, auth+"==", "ua", false, now); err != nil {
		t.Fatalf("valid subscription: %v", err)
	}
	if _, err := NewSubscription("id", "u", "s", "http://127.0.0.1:9/abc", p256, auth, "ua", true, now); err != nil {
		t.Fatalf("http allowed: %v", err)
	}
	for name, tc := range map[string]struct {
		endpoint, p256, auth, field string
	}{
		"http in production": {"http://push.example/x", p256, auth, "endpoint"},
		"relative endpoint":  {"/push", p256, auth, "endpoint"},
		"credentials in URL": {"https://u:p@push.example/x", p256, auth, "endpoint"},
		"p256 not base64":    {"https://push.example/x", "***", auth, "keys.p256dh"},
		"p256 off curve":     {"https://push.example/x", base64.RawURLEncoding.EncodeToString(make([]byte, 65)), auth, "keys.p256dh"},
		"short auth":         {"https://push.example/x", p256, "AAAA", "keys.auth"},
	} {
		_, err := NewSubscription("id", "u", "s", tc.endpoint, tc.p256, tc.auth, "", false, now)
		var fe *InvalidField
		if !errors.As(err, &fe) || fe.Field != tc.field || !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err %v, want an invalid %s", name, err, tc.field)
		}
	}
}

func TestPreview(t *testing.T) {
	if got := Preview("  hello \n\t world  "); got != "hello world" {
		t.Errorf("Preview folds whitespace: %q", got)
	}
	long := strings.Repeat("é", 300)
	got := Preview(long)
	if utf8.RuneCountInString(got) != PreviewRunes || !strings.HasSuffix(got, "…") || !utf8.ValidString(got) {
		t.Errorf("Preview of a long text: %d runes, %q...", utf8.RuneCountInString(got), got[:10])
	}
}

func TestTopic(t *testing.T) {
	got := Topic("0b7e5f3c-1d2a-4b8e-9f00-123456789abc")
	if got != "0b7e5f3c1d2a4b8e9f00123456789abc" || len(got) > 32 {
		t.Errorf("Topic %q", got)
	}
}
