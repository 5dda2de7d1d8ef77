package app

import (
	"context"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// Searcher runs full-text searches.
type Searcher interface {
	// Search returns hits for q.Text ranked best first (rank desc, message
	// id desc), after q.After, at most q.Limit. With q.RoomID it searches
	// that room only (the caller checked access); otherwise every room
	// userID is a member of, the global room included.
	Search(ctx context.Context, userID string, q domain.SearchQuery) ([]domain.SearchHit, error)
}

// Search finds messages in the caller's rooms. next positions the
// following page (nil when none).
func (a *App) Search(ctx context.Context, userID string, q domain.SearchQuery) (hits []domain.SearchHit, next *domain.SearchCursor, err error) {
	if q.Text, err = domain.NormalizeFilter("q", q.Text, true); err != nil {
		return nil, nil, err
	}
	if q.Limit, err = domain.NormalizeLimit(q.Limit); err != nil {
		return nil, nil, err
	}
	if q.RoomID != "" {
		acc, err := a.access(ctx, "roomId", q.RoomID, userID)
		if err != nil {
			return nil, nil, err
		}
		if err := acc.CanRead(); err != nil {
			return nil, nil, err
		}
		q.RoomID = acc.Room.ID
	}
	limit := q.Limit
	q.Limit++
	if hits, err = a.p.Search.Search(ctx, userID, q); err != nil {
		return nil, nil, err
	}
	hits, more := trim(hits, limit)
	msgs := make([]domain.Message, len(hits))
	for i := range hits {
		msgs[i] = hits[i].Message
	}
	if err := a.fillAttachments(ctx, msgs); err != nil {
		return nil, nil, err
	}
	for i := range hits {
		hits[i].Message = msgs[i]
	}
	if more {
		last := hits[len(hits)-1]
		next = &domain.SearchCursor{Rank: last.Rank, MessageID: last.Message.ID}
	}
	return hits, next, nil
}
