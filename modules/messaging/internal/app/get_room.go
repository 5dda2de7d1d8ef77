package app

import (
	"context"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// DetailMembers is how many members a room's details embed; the members
// endpoint pages the rest.
const DetailMembers = 100

// RoomReader reads one room.
type RoomReader interface {
	// View returns the room as userID sees it (role, newest message, read
	// pointer); ErrNotFound when it does not exist.
	View(ctx context.Context, roomID, userID string) (domain.RoomView, error)
	// Members returns explicit members ordered by user id, after q.After,
	// at most q.Limit.
	Members(ctx context.Context, roomID string, q domain.ListQuery) ([]domain.Member, error)
}

// GetRoom returns a room the caller may read, with its first members.
// The global room lists no members: everyone is in it.
func (a *App) GetRoom(ctx context.Context, userID, roomID string) (domain.RoomView, []domain.Member, error) {
	acc, err := a.access(ctx, "id", roomID, userID)
	if err != nil {
		return domain.RoomView{}, nil, err
	}
	if err := acc.CanRead(); err != nil {
		return domain.RoomView{}, nil, err
	}
	view, err := a.p.Reader.View(ctx, acc.Room.ID, userID)
	if err != nil {
		return domain.RoomView{}, nil, err
	}
	members, err := a.p.Reader.Members(ctx, acc.Room.ID, domain.ListQuery{Limit: DetailMembers})
	return view, members, err
}

// Members pages the members of a room the caller may read. next is the
// cursor of the following page ("" when none).
func (a *App) Members(ctx context.Context, userID, roomID string, q domain.ListQuery) (members []domain.Member, next string, err error) {
	if q, err = listQuery(q, "cursor"); err != nil {
		return nil, "", err
	}
	acc, err := a.access(ctx, "id", roomID, userID)
	if err != nil {
		return nil, "", err
	}
	if err := acc.CanRead(); err != nil {
		return nil, "", err
	}
	limit := q.Limit
	q.Limit++
	members, err = a.p.Reader.Members(ctx, acc.Room.ID, q)
	if err != nil {
		return nil, "", err
	}
	members, more := trim(members, limit)
	if more {
		next = members[len(members)-1].UserID
	}
	return members, next, nil
}

// listQuery normalizes a page request whose cursor must be an id.
func listQuery(q domain.ListQuery, field string) (domain.ListQuery, error) {
	q, err := q.Normalize()
	if err != nil {
		return q, err
	}
	if q.After != "" {
		if q.After, err = ParseID(field, q.After); err != nil {
			return q, err
		}
	}
	return q, nil
}
