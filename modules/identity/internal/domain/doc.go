// Package domain holds the identity rules in plain Go: users, e-mail,
// password and display-name validation, password hashing, opaque tokens and
// the session / refresh-token life cycle. It knows nothing of HTTP, SQL or
// Redis; every time it needs is passed in, so the rules are deterministic.
package domain
