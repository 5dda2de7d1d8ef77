package authn_test

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/chatforge/chat/platform/authn"
)

func TestSignVerifyRoundTrip(t *testing.T) {
	t.Parallel()
	s, v := newPair(t)
	at := now.Add(123 * time.Millisecond) // exp/iat are whole seconds
	tok, exp, err := s.Sign("user-1", "session-1", at)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	if want := now.Add(ttl); !exp.Equal(want) {
		t.Errorf("expiresAt = %v, want %v", exp, want)
	}
	if s.TTL() != ttl {
		t.Errorf("TTL = %v, want %v", s.TTL(), ttl)
	}

	c, err := v.Verify(tok, at.Add(time.Minute))
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if c.UserID != "user-1" || c.SessionID != "session-1" {
		t.Errorf("claims = %+v", c)
	}
	if !c.IssuedAt.Equal(now) || !c.ExpiresAt.Equal(exp) {
		t.Errorf("iat/exp = %v/%v, want %v/%v", c.IssuedAt, c.ExpiresAt, now, exp)
	}
	if _, err := uuid.Parse(c.TokenID); err != nil {
		t.Errorf("jti %q is not a UUID", c.TokenID)
	}

	// Two tokens for the same session differ by jti.
	c2, err := v.Verify(sign(t, s, "user-1", "session-1", at), at)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if c2.TokenID == c.TokenID {
		t.Error("jti repeated across tokens")
	}

	// The header names the key.
	parsed, _, err := jwt.NewParser().ParseUnverified(tok, jwt.MapClaims{})
	if err != nil {
		t.Fatalf("ParseUnverified: %v", err)
	}
	if parsed.Header["kid"] != s.KeyID() || parsed.Header["alg"] != "RS256" {
		t.Errorf("header = %v", parsed.Header)
	}
}

func TestVerifyExpiry(t *testing.T) {
	t.Parallel()
	s, v := newPair(t)
	tok := sign(t, s, "u", "s", now)

	// 30s of clock skew are tolerated, not more.
	if _, err := v.Verify(tok, now.Add(ttl+29*time.Second)); err != nil {
		t.Errorf("within leeway: %v", err)
	}
	_, err := v.Verify(tok, now.Add(ttl+31*time.Second))
	if !errors.Is(err, authn.ErrExpiredToken) {
		t.Errorf("expired: err = %v, want ErrExpiredToken", err)
	}
	// A token issued in the future (beyond leeway) is not accepted either.
	if _, err := v.Verify(tok, now.Add(-time.Minute)); !errors.Is(err, authn.ErrInvalidToken) {
		t.Errorf("issued in the future: err = %v, want ErrInvalidToken", err)
	}
}

func TestVerifyRejects(t *testing.T) {
	t.Parallel()
	key := testKey(t)
	s, v := newPair(t)
	good := sign(t, s, "u", "s", now)

	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM, err := os.ReadFile("testdata/rsa_public.pem")
	if err != nil {
		t.Fatal(err)
	}

	// forge signs arbitrary claims with the given method, key and kid.
	forge := func(m jwt.SigningMethod, k any, kid string, claims jwt.MapClaims) string {
		t.Helper()
		tok := jwt.NewWithClaims(m, claims)
		if kid != "" {
			tok.Header["kid"] = kid
		}
		str, err := tok.SignedString(k)
		if err != nil {
			t.Fatalf("forge: %v", err)
		}
		return str
	}
	claims := func(edit func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{
			"sub": "u", "sid": "s", "jti": "j", "iss": issuer, "aud": audience,
			"iat": now.Unix(), "exp": now.Add(ttl).Unix(),
		}
		if edit != nil {
			edit(c)
		}
		return c
	}

	tests := []struct {
		name  string
		token string
		v     *authn.Verifier // nil: the verifier trusting the test key
	}{
		{"wrong kid", good, authn.NewVerifier(map[string]*rsa.PublicKey{"other": &key.PublicKey}, issuer, audience)},
		{"no kid", forge(jwt.SigningMethodRS256, key, "", claims(nil)), nil},
		{"signed by another key under our kid", forge(jwt.SigningMethodRS256, other, s.KeyID(), claims(nil)), nil},
		// The classic confusion attack: HMAC keyed with the public key.
		{"HS256 with the public key as secret", forge(jwt.SigningMethodHS256, pubPEM, s.KeyID(), claims(nil)), nil},
		{"alg none", forge(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, s.KeyID(), claims(nil)), nil},
		{"RS512 is not RS256", forge(jwt.SigningMethodRS512, key, s.KeyID(), claims(nil)), nil},
		{"wrong issuer", good, authn.NewVerifier(map[string]*rsa.PublicKey{s.KeyID(): &key.PublicKey}, "https://evil.test", audience)},
		{"wrong audience", good, authn.NewVerifier(map[string]*rsa.PublicKey{s.KeyID(): &key.PublicKey}, issuer, "gateway")},
		{"no exp", forge(jwt.SigningMethodRS256, key, s.KeyID(), claims(func(c jwt.MapClaims) { delete(c, "exp") })), nil},
		{"no sid", forge(jwt.SigningMethodRS256, key, s.KeyID(), claims(func(c jwt.MapClaims) { delete(c, "sid") })), nil},
		{"no sub", forge(jwt.SigningMethodRS256, key, s.KeyID(), claims(func(c jwt.MapClaims) { delete(c, "sub") })), nil},
		{"tampered signature", good[:len(good)-5] + "AAAAA", nil},
		{"garbage", "not.a.jwt", nil},
		{"empty", "", nil},
	}
	// Control: forge itself makes tokens the verifier accepts, so each case
	// below fails for its own reason only.
	if _, err := v.Verify(forge(jwt.SigningMethodRS256, key, s.KeyID(), claims(nil)), now); err != nil {
		t.Fatalf("control token refused: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ver := tt.v
			if ver == nil {
				ver = v
			}
			if _, err := ver.Verify(tt.token, now); !errors.Is(err, authn.ErrInvalidToken) {
				t.Fatalf("err = %v, want ErrInvalidToken", err)
			}
		})
	}
}
