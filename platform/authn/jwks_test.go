package authn_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chatforge/chat/platform/authn"
)

func TestJWKSDocument(t *testing.T) {
	t.Parallel()
	s, _ := newPair(t)
	var doc struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(s.JWKS(), &doc); err != nil {
		t.Fatalf("JWKS is not JSON: %v", err)
	}
	if len(doc.Keys) != 1 {
		t.Fatalf("keys = %d, want 1", len(doc.Keys))
	}
	k := doc.Keys[0]
	for field, want := range map[string]string{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": s.KeyID(), "e": "AQAB"} {
		if k[field] != want {
			t.Errorf("%s = %q, want %q", field, k[field], want)
		}
	}
	if k["n"] == "" {
		t.Error("n missing")
	}
	// Callers may scribble on the returned slice.
	b := s.JWKS()
	b[0] = 'X'
	if s.JWKS()[0] != '{' {
		t.Error("JWKS shares its buffer with callers")
	}
}

func TestVerifierFromJWKS(t *testing.T) {
	t.Parallel()
	s, _ := newPair(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/jwks.json" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(s.JWKS())
	}))
	t.Cleanup(srv.Close)

	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	v, err := authn.VerifierFromJWKS(ctx, srv.URL+"/.well-known/jwks.json", issuer, audience)
	if err != nil {
		t.Fatalf("VerifierFromJWKS: %v", err)
	}
	c, err := v.Verify(sign(t, s, "u1", "s1", now), now)
	if err != nil || c.UserID != "u1" {
		t.Fatalf("Verify via JWKS: %+v, %v", c, err)
	}

	if _, err := authn.VerifierFromJWKS(ctx, srv.URL+"/nope", issuer, audience); err == nil {
		t.Error("404 JWKS accepted")
	}
	empty := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"a","y":"b"}]}`))
	}))
	t.Cleanup(empty.Close)
	if _, err := authn.VerifierFromJWKS(ctx, empty.URL, issuer, audience); err == nil {
		t.Error("JWKS without RSA keys accepted")
	}
}
