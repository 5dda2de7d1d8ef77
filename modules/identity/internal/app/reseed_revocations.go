package app

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// RevokedSessionStore lists recent revocations.
type RevokedSessionStore interface {
	// RevokedSince returns the sessions revoked after since, with when.
	RevokedSince(ctx context.Context, since time.Time) (map[uuid.UUID]time.Time, error)
}

// RevocationRestorer puts revocations back where instances look for them
// (*authn.Revocations: Redis markers).
type RevocationRestorer interface {
	// Restore re-creates the missing markers of sessions revoked at the
	// given times and returns how many were missing.
	Restore(ctx context.Context, revoked map[string]time.Time) (int, error)
	// Window is how long after its revocation a session's access tokens
	// may still be presented (the access-token TTL plus leeway).
	Window() time.Duration
}

// ReseedRevocations copies the revocations of the last access-token
// lifetime from the database, the record, back to r. Redis holds them only
// as a fast mirror; should it lose its data, a revoked session's unexpired
// access token would be admitted again until the next reseed. It returns
// how many markers were missing.
func (a *App) ReseedRevocations(ctx context.Context, r RevocationRestorer) (int, error) {
	revoked, err := a.store.RevokedSince(ctx, a.now().Add(-r.Window()))
	if err != nil || len(revoked) == 0 {
		return 0, err
	}
	ids := make(map[string]time.Time, len(revoked))
	for id, at := range revoked {
		ids[id.String()] = at
	}
	return r.Restore(ctx, ids)
}
