package app

import (
	"context"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// RoomLister lists rooms, paged by room id (UUIDv7: creation order; the
// global room's id sorts first).
type RoomLister interface {
	// Mine returns the rooms userID is in, the global room included, with
	// the newest message and the read pointer of each.
	Mine(ctx context.Context, userID string, q domain.ListQuery) ([]domain.RoomView, error)
	// Public returns public rooms whose name contains filter (any case;
	// "" = all), with userID's role in each.
	Public(ctx context.Context, userID, filter string, q domain.ListQuery) ([]domain.RoomView, error)
}

// ListRooms pages the rooms the caller is in; next is the cursor of the
// following page ("" when none).
func (a *App) ListRooms(ctx context.Context, userID string, q domain.ListQuery) (rooms []domain.RoomView, next string, err error) {
	if q, err = listQuery(q, "cursor"); err != nil {
		return nil, "", err
	}
	limit := q.Limit
	q.Limit++
	if rooms, err = a.p.Lister.Mine(ctx, userID, q); err != nil {
		return nil, "", err
	}
	return pageRooms(rooms, limit)
}

// PublicRooms pages the public room directory, optionally filtered by name.
func (a *App) PublicRooms(ctx context.Context, userID, filter string, q domain.ListQuery) (rooms []domain.RoomView, next string, err error) {
	if filter, err = domain.NormalizeFilter("q", filter, false); err != nil {
		return nil, "", err
	}
	if q, err = listQuery(q, "cursor"); err != nil {
		return nil, "", err
	}
	limit := q.Limit
	q.Limit++
	if rooms, err = a.p.Lister.Public(ctx, userID, filter, q); err != nil {
		return nil, "", err
	}
	return pageRooms(rooms, limit)
}

func pageRooms(rooms []domain.RoomView, limit int) ([]domain.RoomView, string, error) {
	rooms, more := trim(rooms, limit)
	if more {
		return rooms, rooms[len(rooms)-1].Room.ID, nil
	}
	return rooms, "", nil
}
