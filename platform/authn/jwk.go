package authn

import (
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
)

// jwk is the JSON Web Key form (RFC 7517) of an RSA public key.
type jwk struct {
	Kty string `json:"kty"`
	N   string `json:"n"`
	E   string `json:"e"`
	Kid string `json:"kid,omitempty"`
	Alg string `json:"alg,omitempty"`
	Use string `json:"use,omitempty"`
}

// jwkSet is a JWKS document: {"keys":[...]}.
type jwkSet struct {
	Keys []jwk `json:"keys"`
}

var b64 = base64.RawURLEncoding

// publicJWK returns the signing JWK of pub, identified by its thumbprint.
func publicJWK(pub *rsa.PublicKey) jwk {
	return jwk{
		Kty: "RSA",
		N:   b64.EncodeToString(pub.N.Bytes()),
		E:   b64.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		Kid: thumbprint(pub),
		Alg: "RS256",
		Use: "sig",
	}
}

// thumbprint returns the RFC 7638 JWK thumbprint of pub (SHA-256,
// base64url without padding). It is the key's "kid": derived from the key
// itself, so every api instance loading the same key agrees on it and a
// rotated key gets a new kid with no configuration.
func thumbprint(pub *rsa.PublicKey) string {
	// RFC 7638 §3.2: required members only, lexicographic order, no
	// whitespace. The values are base64url strings, so no escaping occurs.
	canonical := `{"e":"` + b64.EncodeToString(big.NewInt(int64(pub.E)).Bytes()) +
		`","kty":"RSA","n":"` + b64.EncodeToString(pub.N.Bytes()) + `"}`
	sum := sha256.Sum256([]byte(canonical))
	return b64.EncodeToString(sum[:])
}

// parseJWKS extracts the RSA signing keys of a JWKS document, keyed by kid.
// Keys of other types or uses are skipped; a key without kid gets its
// thumbprint, which is what our Signer would have called it.
func parseJWKS(data []byte) (map[string]*rsa.PublicKey, error) {
	var set jwkSet
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("decode JWKS: %w", err)
	}
	keys := make(map[string]*rsa.PublicKey, len(set.Keys))
	for i, k := range set.Keys {
		if k.Kty != "RSA" || (k.Use != "" && k.Use != "sig") || (k.Alg != "" && k.Alg != "RS256") {
			continue
		}
		pub, err := k.publicKey()
		if err != nil {
			return nil, fmt.Errorf("JWKS key %d: %w", i, err)
		}
		kid := k.Kid
		if kid == "" {
			kid = thumbprint(pub)
		}
		keys[kid] = pub
	}
	if len(keys) == 0 {
		return nil, errors.New("JWKS has no RS256 signing key")
	}
	return keys, nil
}

func (k jwk) publicKey() (*rsa.PublicKey, error) {
	n, err := b64.DecodeString(k.N)
	if err != nil || len(n) == 0 {
		return nil, errors.New("bad modulus")
	}
	e, err := b64.DecodeString(k.E)
	if err != nil || len(e) == 0 || len(e) > 4 {
		return nil, errors.New("bad exponent")
	}
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	if err := checkKeySize(pub); err != nil {
		return nil, err
	}
	return pub, nil
}

// checkKeySize refuses keys too weak to trust for RS256.
func checkKeySize(pub *rsa.PublicKey) error {
	if pub.N.BitLen() < 2048 {
		return fmt.Errorf("RSA key of %d bits is too small (minimum 2048)", pub.N.BitLen())
	}
	if pub.E < 3 || pub.E%2 == 0 {
		return errors.New("bad RSA public exponent")
	}
	return nil
}
