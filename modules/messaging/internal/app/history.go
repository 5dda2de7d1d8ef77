package app

import (
	"context"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// HistoryReader reads a page of a room's messages by seq range, from the
// (room_id, seq) index, together with the caller's access to the room: one
// round trip on the hottest read path.
type HistoryReader interface {
	// History returns userID's access to the room (ErrNotFound when the
	// room does not exist; its Room carries at least ID and Kind) and, only
	// when that access may read the room (domain.Access.CanRead), up to
	// q.Limit messages in the order q asks (q is normalized); Next is left
	// to the caller. The messages are appended to into[:0], so a caller
	// may hand in a slice to reuse (nil: a new one).
	History(ctx context.Context, roomID, userID string, q domain.HistoryQuery, into []domain.Message) (domain.Access, []domain.Message, error)
}

// History returns a page of a room's messages the caller may read.
func (a *App) History(ctx context.Context, userID, roomID string, q domain.HistoryQuery) (domain.HistoryPage, error) {
	return a.HistoryInto(ctx, userID, roomID, q, nil)
}

// HistoryInto is History with the page's messages in into's backing array
// when it is large enough (q's limit plus one): a caller that is done with
// a page before asking the next (the REST handler, once the page is
// written) can reuse one slice instead of allocating a page of messages
// per request.
func (a *App) HistoryInto(ctx context.Context, userID, roomID string, q domain.HistoryQuery, into []domain.Message) (domain.HistoryPage, error) {
	if roomID == "" {
		roomID = domain.GlobalRoomID
	}
	q, err := q.Normalize()
	if err != nil {
		return domain.HistoryPage{}, err
	}
	id, err := ParseID("roomId", roomID)
	if err != nil {
		return domain.HistoryPage{}, err
	}
	limit := q.Limit
	q.Limit++ // one more row tells whether another page exists
	acc, items, err := a.p.History.History(ctx, id, userID, q, into)
	if err != nil {
		return domain.HistoryPage{}, err
	}
	// The store only returns rows it may show, but the rule is the
	// domain's: never hand out a page it refuses.
	if err := acc.CanRead(); err != nil {
		return domain.HistoryPage{}, err
	}
	items, more := trim(items, limit)
	if err := a.fillAttachments(ctx, items); err != nil {
		return domain.HistoryPage{}, err
	}
	redact(acc, items)
	page := domain.HistoryPage{Items: items}
	if more {
		page.Next = items[len(items)-1].Seq
	}
	return page, nil
}

// CanRead tells whether userID may read the room: nil, or ErrNotFound (also
// for a malformed id). The gateway asks before subscribing a socket.
func (a *App) CanRead(ctx context.Context, userID, roomID string) error {
	acc, err := a.access(ctx, "roomId", roomID, userID)
	if err != nil {
		if isInvalid(err) {
			return domain.ErrNotFound
		}
		return err
	}
	return acc.CanRead()
}

// CanPost returns nil when userID may post in the room (a member), the
// errors of CanRead when they may not see it, and ErrForbidden for a
// public room they have not joined. Attachments use it for uploads.
func (a *App) CanPost(ctx context.Context, userID, roomID string) error {
	acc, err := a.access(ctx, "roomId", roomID, userID)
	if err != nil {
		if isInvalid(err) {
			return domain.ErrNotFound
		}
		return err
	}
	return acc.CanPost()
}
