package authn

import (
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// leeway is the clock skew tolerated on exp (and iat) between the signing
// api and a verifying process.
const leeway = 30 * time.Second

// Verifier checks access tokens offline against a fixed set of RSA public
// keys. Its configuration is immutable; it is safe for concurrent use.
type Verifier struct {
	keys     map[string]*rsa.PublicKey
	issuer   string
	audience string
	cache    *tokenCache // nil: every call verifies the signature
}

// VerifierOption tunes a Verifier.
type VerifierOption func(*verifierOptions)

type verifierOptions struct{ cacheSize int }

// WithTokenCache keeps the claims of up to about size recently verified
// tokens (2*size at most), so a token presented again skips the signature
// check; 0 disables the cache. The default is DefaultTokenCacheSize.
func WithTokenCache(size int) VerifierOption {
	return func(o *verifierOptions) { o.cacheSize = size }
}

// NewVerifier returns a Verifier accepting RS256 tokens signed by one of keys
// (by header kid) for the given issuer and audience. The map is copied.
func NewVerifier(keys map[string]*rsa.PublicKey, issuer, audience string, opts ...VerifierOption) *Verifier {
	o := verifierOptions{cacheSize: DefaultTokenCacheSize}
	for _, opt := range opts {
		opt(&o)
	}
	v := &Verifier{keys: maps.Clone(keys), issuer: issuer, audience: audience}
	if o.cacheSize > 0 {
		v.cache = newTokenCache(o.cacheSize)
	}
	return v
}

// Verify checks token's signature, algorithm (RS256 only, so an HS256 token
// "signed" with the public key is refused), kid, issuer, audience and expiry
// as of now, and returns its claims. Errors wrap ErrExpiredToken or
// ErrInvalidToken; the wrapped text says why, for logs only.
//
// A token that verified before is answered from the cache: the same string
// carries the same signed claims, so only its expiry is checked again.
func (v *Verifier) Verify(token string, now time.Time) (Claims, error) {
	if v.cache == nil {
		return v.verify(token, now)
	}
	k := sha256.Sum256([]byte(token))
	if c, ok := v.cache.get(k); ok {
		// The parser's time rules: valid while now < exp + leeway, and not
		// before iat - leeway.
		if !now.Before(c.ExpiresAt.Add(leeway)) {
			return Claims{}, fmt.Errorf("%w: token is expired", ErrExpiredToken)
		}
		if now.Before(c.IssuedAt.Add(-leeway)) {
			return Claims{}, fmt.Errorf("%w: token used before issued", ErrInvalidToken)
		}
		return c, nil
	}
	c, err := v.verify(token, now)
	if err != nil {
		return Claims{}, err // never cached: a bad token costs a parse each time
	}
	v.cache.put(k, c)
	return c, nil
}

// verify does the full check of Verify.
func (v *Verifier) verify(token string, now time.Time) (Claims, error) {
	var tc tokenClaims
	// A parser per call: the clock is an argument, which keeps tests and
	// callers free of global time.
	p := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}),
		jwt.WithIssuer(v.issuer),
		jwt.WithAudience(v.audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(leeway),
		jwt.WithTimeFunc(func() time.Time { return now }),
	)
	_, err := p.ParseWithClaims(token, &tc, v.key)
	switch {
	case err == nil:
	case errors.Is(err, jwt.ErrTokenExpired):
		return Claims{}, fmt.Errorf("%w: %v", ErrExpiredToken, err)
	default:
		return Claims{}, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	if tc.Subject == "" || tc.SessionID == "" || tc.IssuedAt == nil {
		return Claims{}, fmt.Errorf("%w: missing sub, sid or iat", ErrInvalidToken)
	}
	return Claims{
		UserID:    tc.Subject,
		SessionID: tc.SessionID,
		TokenID:   tc.ID,
		IssuedAt:  tc.IssuedAt.Time,
		ExpiresAt: tc.ExpiresAt.Time,
	}, nil
}

// key is the jwt.Keyfunc: it picks the verification key by header kid.
// The algorithm was already checked by WithValidMethods.
func (v *Verifier) key(t *jwt.Token) (any, error) {
	kid, _ := t.Header["kid"].(string)
	if kid == "" {
		return nil, errors.New("token has no kid")
	}
	k, ok := v.keys[kid]
	if !ok {
		return nil, fmt.Errorf("unknown kid %q", kid)
	}
	return k, nil
}
