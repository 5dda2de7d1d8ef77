package app

import (
	"context"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// HistoryReader reads messages of a room by seq range from the
// (room_id, seq) index.
type HistoryReader interface {
	// History returns up to q.Limit messages of the room in the order q
	// asks (q is normalized); Next is left to the caller.
	History(ctx context.Context, roomID string, q domain.HistoryQuery) ([]domain.Message, error)
}

// History returns a page of a room's messages the caller may read.
func (a *App) History(ctx context.Context, userID, roomID string, q domain.HistoryQuery) (domain.HistoryPage, error) {
	if roomID == "" {
		roomID = domain.GlobalRoomID
	}
	q, err := q.Normalize()
	if err != nil {
		return domain.HistoryPage{}, err
	}
	acc, err := a.access(ctx, "roomId", roomID, userID)
	if err != nil {
		return domain.HistoryPage{}, err
	}
	if err := acc.CanRead(); err != nil {
		return domain.HistoryPage{}, err
	}
	limit := q.Limit
	q.Limit++ // one more row tells whether another page exists
	items, err := a.p.History.History(ctx, acc.Room.ID, q)
	if err != nil {
		return domain.HistoryPage{}, err
	}
	items, more := trim(items, limit)
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
