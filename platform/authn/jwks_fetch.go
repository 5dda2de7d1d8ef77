package authn

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

const (
	// jwksTimeout bounds the fetch when ctx has no earlier deadline, so a
	// gateway never hangs at start-up on an unreachable api.
	jwksTimeout = 10 * time.Second
	// jwksMaxBytes caps the document: a few keys fit in a few KB.
	jwksMaxBytes = 1 << 20
)

// VerifierFromJWKS fetches the JWKS document at url once and returns a
// Verifier over its RS256 keys. Keys are not refreshed: after a key rotation
// the verifying process is restarted (rotations publish both keys first).
func VerifierFromJWKS(ctx context.Context, url, issuer, audience string, opts ...VerifierOption) (*Verifier, error) {
	ctx, cancel := context.WithTimeout(ctx, jwksTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("authn: JWKS request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("authn: fetch JWKS: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("authn: fetch JWKS %s: status %s", url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, jwksMaxBytes))
	if err != nil {
		return nil, fmt.Errorf("authn: read JWKS: %w", err)
	}
	keys, err := parseJWKS(body)
	if err != nil {
		return nil, fmt.Errorf("authn: %s: %w", url, err)
	}
	return NewVerifier(keys, issuer, audience, opts...), nil
}
