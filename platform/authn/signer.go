package authn

import (
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// Signer issues RS256 access tokens with one private key. It is immutable and
// safe for concurrent use.
type Signer struct {
	key      *rsa.PrivateKey
	kid      string
	issuer   string
	audience string
	ttl      time.Duration
	jwks     []byte // precomputed: the key never changes
}

// NewSigner returns a Signer whose tokens are valid for ttl and carry the
// given issuer and audience. The header kid is the RFC 7638 thumbprint of the
// public key, so verifiers find the key in the JWKS without configuration.
func NewSigner(key *rsa.PrivateKey, issuer, audience string, ttl time.Duration) *Signer {
	pub := publicJWK(&key.PublicKey)
	doc, err := json.Marshal(jwkSet{Keys: []jwk{pub}})
	if err != nil {
		// Only strings are marshalled: this cannot fail.
		panic(fmt.Sprintf("authn: marshal JWKS: %v", err))
	}
	return &Signer{key: key, kid: pub.Kid, issuer: issuer, audience: audience, ttl: ttl, jwks: doc}
}

// Sign issues an access token for the user's session, issued at now.
// expiresAt is the token's exp, truncated to whole seconds as in the token.
func (s *Signer) Sign(userID, sessionID string, now time.Time) (token string, expiresAt time.Time, err error) {
	iat := jwt.NewNumericDate(now)
	exp := jwt.NewNumericDate(now.Add(s.ttl))
	claims := tokenClaims{
		SessionID: sessionID,
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   userID,
			Issuer:    s.issuer,
			Audience:  jwt.ClaimStrings{s.audience},
			IssuedAt:  iat,
			ExpiresAt: exp,
			ID:        uuid.NewString(),
		},
	}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	t.Header["kid"] = s.kid
	token, err = t.SignedString(s.key)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("authn: sign token: %w", err)
	}
	return token, exp.Time, nil
}

// JWKS returns the JSON Web Key Set publishing the public key:
// {"keys":[{"kty":"RSA","n":...,"e":...,"kid":...,"alg":"RS256","use":"sig"}]}.
// The slice is the caller's to keep.
func (s *Signer) JWKS() []byte { return slices.Clone(s.jwks) }

// TTL returns how long issued tokens are valid.
func (s *Signer) TTL() time.Duration { return s.ttl }

// KeyID returns the kid put in every token header.
func (s *Signer) KeyID() string { return s.kid }
