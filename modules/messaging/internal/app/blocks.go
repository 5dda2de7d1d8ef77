package app

import (
	"time"

	"context"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// BlockStore keeps who blocks whom.
type BlockStore interface {
	// Block records it (idempotent); ErrUserNotFound when blockedID names
	// no user.
	Block(ctx context.Context, blockerID, blockedID string, at time.Time) error
	Unblock(ctx context.Context, blockerID, blockedID string) error
	// Blocks lists the blocker's blocks by user id after q.After, at most
	// q.Limit (0: all).
	Blocks(ctx context.Context, blockerID string, q domain.ListQuery) ([]domain.Block, error)
	// BlockedEither reports whether either user blocks the other.
	BlockedEither(ctx context.Context, a, b string) (bool, error)
}

// BlockMirror tells the gateways whom a user blocks (they drop the
// blocked users' typing and presence for the blocker's sockets). It gets
// the whole list after every change, so a failed call is repaired by the
// next one.
type BlockMirror interface {
	MirrorBlocks(ctx context.Context, blockerID string, blocked []string) error
}

// Block makes userID block another user: no direct room between them, no
// typing, presence or push from them. Blocking is private: the blocked
// user is not told.
func (a *App) Block(ctx context.Context, userID, targetRaw string) error {
	target, err := ParseID("userId", targetRaw)
	if err != nil {
		return err
	}
	if target == userID {
		return &domain.InvalidError{Field: "userId", Message: "must be another user"}
	}
	if err := a.p.Blocks.Block(ctx, userID, target, a.clock()); err != nil {
		return err
	}
	return a.mirrorBlocks(ctx, userID)
}

// Unblock lifts userID's block of another user (idempotent).
func (a *App) Unblock(ctx context.Context, userID, targetRaw string) error {
	target, err := ParseID("userId", targetRaw)
	if err != nil {
		return err
	}
	if err := a.p.Blocks.Unblock(ctx, userID, target); err != nil {
		return err
	}
	return a.mirrorBlocks(ctx, userID)
}

// Blocks pages the users userID blocks. next is the cursor of the
// following page ("" when none).
func (a *App) Blocks(ctx context.Context, userID string, q domain.ListQuery) ([]domain.Block, string, error) {
	return fetchPage(ctx, q, func(ctx context.Context, q domain.ListQuery) ([]domain.Block, error) {
		return a.p.Blocks.Blocks(ctx, userID, q)
	}, func(b domain.Block) string { return b.UserID })
}

func (a *App) mirrorBlocks(ctx context.Context, userID string) error {
	if a.p.BlockMirror == nil {
		return nil
	}
	all, err := a.p.Blocks.Blocks(ctx, userID, domain.ListQuery{})
	if err != nil {
		return err
	}
	ids := make([]string, len(all))
	for i, b := range all {
		ids[i] = b.UserID
	}
	return a.p.BlockMirror.MirrorBlocks(ctx, userID, ids)
}
