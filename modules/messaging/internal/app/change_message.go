package app

import (
	"context"
	"time"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// MessageChanger changes stored messages.
type MessageChanger interface {
	// ChangeMessage runs change on message id as userID sees it, in one
	// transaction holding its room's row lock (the lock sends take, so
	// the room's revisions are handed out in commit order). When change
	// reports a change, the message takes the room's next rev and is
	// stored with a message.updated event; otherwise nothing is written.
	// It returns the message as it now is. ErrMessageNotFound when id
	// names no message.
	ChangeMessage(ctx context.Context, id, userID string, change func(domain.Access, *domain.Message) (bool, error)) (domain.Message, error)
	// ChangeMessageLogged is ChangeMessage whose change may also return a
	// moderation log entry (ID, RoomID, MessageID and CreatedAt are set by
	// the store), written in the same transaction when the message changed.
	ChangeMessageLogged(ctx context.Context, id, userID string, change func(domain.Access, *domain.Message) (bool, *domain.ModEntry, error)) (domain.Message, error)
}

// EditMessage replaces the content of message id, for its author only,
// within the edit window. Editing to the same content changes nothing.
func (a *App) EditMessage(ctx context.Context, userID, id, content string) (domain.Message, error) {
	id, err := ParseID("id", id)
	if err != nil {
		return domain.Message{}, err
	}
	if err := domain.ValidateContent(content, a.maxContent); err != nil {
		return domain.Message{}, err
	}
	now := a.clock()
	return a.changeMessage(ctx, id, userID, func(acc domain.Access, m *domain.Message) (bool, error) {
		return m.Edit(acc, userID, content, now, a.editWindow)
	})
}

// DeleteMessage deletes message id (its author or the room owner). Deleting
// a deleted message changes nothing.
func (a *App) DeleteMessage(ctx context.Context, userID, id string) (domain.Message, error) {
	return a.deleteMessage(ctx, userID, id, domain.ModEntry{})
}

// deleteMessage is DeleteMessage; a deletion of someone else's message
// (by the owner or a moderator) is logged with entry's report and reason.
func (a *App) deleteMessage(ctx context.Context, userID, id string, entry domain.ModEntry) (domain.Message, error) {
	id, err := ParseID("id", id)
	if err != nil {
		return domain.Message{}, err
	}
	now := a.clock()
	m, err := a.changeLogged(ctx, id, userID, func(acc domain.Access, m *domain.Message) (bool, *domain.ModEntry, error) {
		changed, err := m.Delete(acc, userID, now)
		if !changed || m.UserID == userID {
			return changed, nil, err
		}
		e := entry
		e.ActorID, e.Kind, e.UserID = userID, domain.ModDelete, m.UserID
		return true, &e, nil
	})
	if err != nil || a.p.Attachments == nil {
		return m, err
	}
	// After the commit, and again on a repeated delete (idempotent), so
	// files left by a failed drop go with the next try; the worker does
	// not see them as orphans.
	if err := a.p.Attachments.DropMessageAttachments(ctx, m.ID); err != nil {
		return domain.Message{}, err
	}
	return m, nil
}

// changeLogged is changeMessage with a moderation log entry written with
// the change.
func (a *App) changeLogged(ctx context.Context, id, userID string, fn func(domain.Access, *domain.Message) (bool, *domain.ModEntry, error)) (domain.Message, error) {
	changed := false
	m, err := a.p.Changes.ChangeMessageLogged(ctx, id, userID, func(acc domain.Access, m *domain.Message) (bool, *domain.ModEntry, error) {
		c, e, err := fn(acc, m)
		changed = c
		return c, e, err
	})
	if err != nil {
		return domain.Message{}, err
	}
	if changed {
		a.wake()
	}
	return m, nil
}

// redact withholds hidden messages' content from a reader who does not
// moderate the room.
func redact(acc domain.Access, items []domain.Message) {
	if acc.Role.Moderates() {
		return
	}
	for i := range items {
		items[i] = items[i].Redacted()
	}
}

// changeMessage runs a change through the port and wakes the relay after one.
func (a *App) changeMessage(ctx context.Context, id, userID string, fn func(domain.Access, *domain.Message) (bool, error)) (domain.Message, error) {
	changed := false
	m, err := a.p.Changes.ChangeMessage(ctx, id, userID, func(acc domain.Access, m *domain.Message) (bool, error) {
		c, err := fn(acc, m)
		changed = c
		return c, err
	})
	if err != nil {
		return domain.Message{}, err
	}
	if changed {
		a.wake()
	}
	return m, nil
}

// DefaultEditWindow is MESSAGE_EDIT_WINDOW's default: no limit.
const DefaultEditWindow time.Duration = 0
