package authn

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The fuzz targets check the parsers of untrusted token material: bearer
// headers, access tokens and JWKS documents. `go tool task fuzz` runs them
// briefly; plain `go test` runs their seeds.

const (
	fuzzIssuer   = "https://chat.test"
	fuzzAudience = "chat-api"
)

var fuzzNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// FuzzVerify: a token verifies only if a reference check agrees (three
// segments, RS256 header, a valid PKCS#1 v1.5 signature by the key over the
// first two segments as sent), its claims are those of its payload, and the
// cached verifier agrees with the uncached one.
func FuzzVerify(f *testing.F) {
	key, err := LoadPrivateKey("testdata/rsa_pkcs1.pem")
	if err != nil {
		f.Fatal(err)
	}
	s := NewSigner(key, fuzzIssuer, fuzzAudience, 15*time.Minute)
	keys := map[string]*rsa.PublicKey{s.KeyID(): &key.PublicKey}
	v := NewVerifier(keys, fuzzIssuer, fuzzAudience)
	vc := NewVerifier(keys, fuzzIssuer, fuzzAudience, WithTokenCache(64))
	for i, at := range []time.Time{fuzzNow.Add(-time.Minute), fuzzNow.Add(-time.Hour)} {
		tok, _, err := s.Sign("user-"+string(rune('a'+i)), "session-1", at)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(tok)
		parts := strings.Split(tok, ".")
		// Algorithm confusion and an unsigned copy of the same claims.
		f.Add(b64.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + ".")
		f.Add(b64.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT","kid":"`+s.KeyID()+`"}`)) + "." + parts[1] + "." + parts[2])
		f.Add(parts[0] + "." + parts[1] + "." + base64.URLEncoding.EncodeToString([]byte("x")))
	}
	for _, s := range []string{"", ".", "..", "a.b.c", "eyJ.eyJ.", strings.Repeat("A", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := v.Verify(tok, fuzzNow)
		cc, cerr := vc.Verify(tok, fuzzNow)
		if (err == nil) != (cerr == nil) || c != cc {
			t.Fatalf("cached verifier disagrees on %q: %v / %v", tok, err, cerr)
		}
		if err != nil {
			return
		}
		if why := refCheck(tok, &key.PublicKey, c); why != "" {
			t.Fatalf("token %q accepted (%+v) but %s", tok, c, why)
		}
	})
}

// refCheck verifies an accepted token independently of the JWT library and
// says what is wrong with it ("" when nothing is).
func refCheck(tok string, pub *rsa.PublicKey, c Claims) string {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return "it has " + strconv.Itoa(len(parts)) + " segments"
	}
	var hdr struct {
		Alg string `json:"alg"`
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || json.Unmarshal(raw, &hdr) != nil || hdr.Alg != "RS256" {
		return "its header is " + strconv.Quote(string(raw))
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return "its signature does not decode"
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig) != nil {
		return "its signature is invalid"
	}
	var claims struct {
		Sub string `json:"sub"`
		Sid string `json:"sid"`
		Jti string `json:"jti"`
	}
	raw, err = base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || json.Unmarshal(raw, &claims) != nil {
		return "its payload does not decode"
	}
	if claims.Sub != c.UserID || claims.Sid != c.SessionID || claims.Jti != c.TokenID {
		return "its payload says " + string(raw)
	}
	return ""
}

// FuzzParseJWKS: a key set is accepted only with trustworthy RSA keys, each
// under a kid, and the accepted keys written back as a JWKS read the same.
func FuzzParseJWKS(f *testing.F) {
	key, err := LoadPrivateKey("testdata/rsa_pkcs1.pem")
	if err != nil {
		f.Fatal(err)
	}
	s := NewSigner(key, fuzzIssuer, fuzzAudience, time.Minute)
	f.Add(s.JWKS())
	pj := publicJWK(&key.PublicKey)
	for _, mut := range []func(j *jwk){
		func(j *jwk) { j.Kid = "" },
		func(j *jwk) { j.E = "AAAAAQAB" },
		func(j *jwk) { j.E = "Ag" },
		func(j *jwk) { j.N = j.N[:100] },
		func(j *jwk) { j.N = "!!" },
		func(j *jwk) { j.Use = "enc" },
		func(j *jwk) { j.Kty = "EC" },
	} {
		j := pj
		mut(&j)
		b, _ := json.Marshal(jwkSet{Keys: []jwk{j}})
		f.Add(b)
	}
	f.Add([]byte(`{"keys":[]}`))
	f.Add([]byte(`{"keys":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, err := parseJWKS(data)
		if err != nil {
			return
		}
		if len(keys) == 0 {
			t.Fatal("no keys and no error")
		}
		var set jwkSet
		for kid, pub := range keys {
			if kid == "" || checkKeySize(pub) != nil {
				t.Fatalf("accepted key %q of %d bits, e=%d", kid, pub.N.BitLen(), pub.E)
			}
			j := publicJWK(pub)
			j.Kid = kid
			set.Keys = append(set.Keys, j)
		}
		b, _ := json.Marshal(set)
		again, err := parseJWKS(b)
		if err != nil || len(again) != len(keys) {
			t.Fatalf("re-encoded JWKS %s: %d keys, %v", b, len(again), err)
		}
		for kid, pub := range keys {
			if p := again[kid]; p == nil || !p.Equal(pub) {
				t.Fatalf("key %q changed in the round trip", kid)
			}
		}
	})
}

// FuzzBearerToken: a token is extracted only from "Bearer <token>" (any
// case, spaces around), and it is the header's text after the scheme.
func FuzzBearerToken(f *testing.F) {
	for _, s := range []string{"Bearer abc", "bearer  abc ", "Basic abc", "Bearer", "Bearer ", " BEARER a b", "Bearerabc", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		tok, ok := bearerToken(header)
		if !ok {
			if tok != "" {
				t.Fatalf("refused %q but returned %q", header, tok)
			}
			return
		}
		if tok == "" || tok != strings.TrimSpace(tok) || !strings.Contains(header, tok) {
			t.Fatalf("header %q gave token %q", header, tok)
		}
		scheme, _, _ := strings.Cut(strings.TrimSpace(header), " ")
		if !strings.EqualFold(scheme, "bearer") {
			t.Fatalf("header %q with scheme %q accepted", header, scheme)
		}
	})
}
