package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"slices"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// StateReader reads where each of a user's rooms stands.
type StateReader interface {
	// RoomStates returns the state of every room userID is in, the global
	// room included.
	RoomStates(ctx context.Context, userID string) ([]domain.RoomState, error)
}

// SyncSnapshots keeps what a device was told at its last sync, under the
// token it was given, for a while (SYNC_TOKEN_TTL).
type SyncSnapshots interface {
	// Load returns the snapshot of (userID, token); ok false when the
	// token is unknown, expired or another user's.
	Load(ctx context.Context, userID, token string) (snap map[string]domain.RoomState, ok bool, err error)
	// Save stores the snapshot under (userID, token), and shortens the
	// life of the spent token prev ("" for none) to a grace period, in
	// which a client that lost the answer may ask again.
	Save(ctx context.Context, userID, token, prev string, snap []domain.RoomState) error
}

// SyncResult is what changed for a device since its token.
type SyncResult struct {
	Token string
	// Full is true when since was absent, unknown or expired: Rooms then
	// lists every room and Left is empty.
	Full  bool
	Rooms []domain.RoomState
	Left  []string
}

// Sync tells a device what changed for userID since the token of its
// last sync (ARCHITECTURE.md section 10): rooms joined since or whose
// newest seq, rev or read pointer moved, and rooms left, with a new token.
// Without a token, or with one unknown or expired, every room is listed.
func (a *App) Sync(ctx context.Context, userID, since string) (SyncResult, error) {
	if len(since) > 64 {
		return SyncResult{}, &domain.InvalidError{Field: "since", Message: "must be a token from a previous sync"}
	}
	cur, err := a.p.States.RoomStates(ctx, userID)
	if err != nil {
		return SyncResult{}, err
	}
	out := SyncResult{Token: newSyncToken(), Rooms: cur, Full: true}
	if a.p.Snapshots == nil {
		return out, nil
	}
	if since != "" {
		prev, ok, err := a.p.Snapshots.Load(ctx, userID, since)
		if err != nil {
			return SyncResult{}, err
		}
		if ok {
			out.Full = false
			out.Rooms, out.Left = domain.SyncDiff(prev, cur)
			slices.Sort(out.Left)
		}
	}
	if err := a.p.Snapshots.Save(ctx, userID, out.Token, since, cur); err != nil {
		return SyncResult{}, err
	}
	return out, nil
}

// newSyncToken is 128 random bits, URL-safe.
func newSyncToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}
