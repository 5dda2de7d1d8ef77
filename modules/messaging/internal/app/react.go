package app

import (
	"context"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// ReactionWriter stores reactions.
type ReactionWriter interface {
	// React adds (add) or removes userID's emoji reaction to message id,
	// in the transaction and under the room lock of ChangeMessage: check
	// (given the caller's access and the message) refuses or allows it;
	// a reaction that is already there (add) or not (remove) changes
	// nothing. A change updates the message's counts, gives it the
	// room's next rev and records message.updated. It returns the
	// message as it now is and whether it changed.
	React(ctx context.Context, id, userID, emoji string, add bool, check func(domain.Access, domain.Message) error) (domain.Message, bool, error)
	// Reactions lists who reacted to message id (oldest first, at most
	// limit), after checking the caller's access with check.
	Reactions(ctx context.Context, id, userID string, limit int, check func(domain.Access) error) ([]domain.Reaction, error)
}

// React adds or removes userID's emoji reaction to message id.
// Idempotent: adding twice, or removing what is not there, changes nothing.
func (a *App) React(ctx context.Context, userID, id, emoji string, add bool) (domain.Message, error) {
	id, err := ParseID("id", id)
	if err != nil {
		return domain.Message{}, err
	}
	if err := domain.ValidateEmoji(emoji); err != nil {
		return domain.Message{}, err
	}
	m, changed, err := a.p.Reactions.React(ctx, id, userID, emoji, add, func(acc domain.Access, m domain.Message) error {
		if !add {
			return acc.CanChange() // removing from a deleted message: nothing is there
		}
		return m.CanReact(acc)
	})
	if err != nil {
		return domain.Message{}, err
	}
	if changed {
		a.wake()
	}
	return m, nil
}

// MaxReactionList bounds the reactions listed for one message.
const MaxReactionList = 1000

// Reactions lists who reacted to message id with which emoji, oldest first
// (at most MaxReactionList).
func (a *App) Reactions(ctx context.Context, userID, id string) ([]domain.Reaction, error) {
	id, err := ParseID("id", id)
	if err != nil {
		return nil, err
	}
	return a.p.Reactions.Reactions(ctx, id, userID, MaxReactionList, domain.Access.CanChange)
}
