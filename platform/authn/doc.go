// Package authn issues and verifies the RS256 access tokens shared by the api
// (which signs) and the gateway (which only verifies, offline, from a public
// key file or a JWKS document), and keeps the Redis set of revoked sessions
// both of them consult.
//
// Access tokens are short-lived JWTs carrying the user (sub), the session
// (sid), a unique id (jti), issuer, audience, iat and exp. A token stays
// valid until it expires unless its session is revoked; revocation markers
// therefore live exactly as long as a token could (TTL + verification leeway).
//
// Every type here is immutable after construction, or guards its state, and is
// safe for concurrent use.
package authn
