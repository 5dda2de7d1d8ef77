package app

import (
	"context"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// ReplyParents reads the messages replies point at.
type ReplyParents interface {
	// Parents returns the stored messages among ids (canonical), by id;
	// unknown ids are absent.
	Parents(ctx context.Context, ids []string) (map[string]domain.Message, error)
}

// checkReplies checks that each replyTo[i] names a message of rooms[i]
// that is not deleted: errs[i] says why not. One query for them all, and
// none for a send without replyTo, so the plain send path keeps its round
// trips. A parent deleted between this check and the insert keeps its
// reply (the reply still points at a stored message).
func (a *App) checkReplies(ctx context.Context, rooms, replyTo []string) (errs []error, err error) {
	parents, err := a.p.Replies.Parents(ctx, replyTo)
	if err != nil {
		return nil, err
	}
	errs = make([]error, len(replyTo))
	for i, id := range replyTo {
		p, ok := parents[id]
		switch {
		case !ok || p.RoomID != rooms[i]:
			errs[i] = &domain.InvalidError{Field: "replyTo", Message: "must be a message of the same room"}
		case p.Deleted():
			errs[i] = &domain.InvalidError{Field: "replyTo", Message: "must not be a deleted message"}
		}
	}
	return errs, nil
}

// dropBadReplies answers the messages of a batch whose replyTo is not
// valid (out[allowed[j]]) and returns the others.
func (a *App) dropBadReplies(ctx context.Context, out []SendResult, allowed []int, msgs []domain.Message) ([]int, []domain.Message) {
	var idx []int
	var rooms, parents []string
	for j, m := range msgs {
		if m.ReplyTo != "" {
			idx, rooms, parents = append(idx, j), append(rooms, m.RoomID), append(parents, m.ReplyTo)
		}
	}
	if len(idx) == 0 {
		return allowed, msgs
	}
	errs, err := a.checkReplies(ctx, rooms, parents)
	bad := make(map[int]error)
	for k, j := range idx {
		if err != nil {
			bad[j] = err
		} else if errs[k] != nil {
			bad[j] = errs[k]
		}
	}
	keptAllowed, keptMsgs := allowed[:0:0], msgs[:0:0]
	for j, m := range msgs {
		if e, ok := bad[j]; ok {
			out[allowed[j]].Err = e
			continue
		}
		keptAllowed, keptMsgs = append(keptAllowed, allowed[j]), append(keptMsgs, m)
	}
	return keptAllowed, keptMsgs
}

// ThreadReader lists the replies to a message.
type ThreadReader interface {
	// Thread returns the replies to parentID in roomID with seq > after,
	// oldest first, at most limit.
	Thread(ctx context.Context, roomID, parentID string, after int64, limit int) ([]domain.Message, error)
}

// Thread pages the replies to message parentID of roomID, oldest first,
// for a caller who may read the room; Next is the After of the next page.
func (a *App) Thread(ctx context.Context, userID, roomID, parentID string, q domain.HistoryQuery) (domain.HistoryPage, error) {
	if roomID == "" {
		roomID = domain.GlobalRoomID
	}
	q, err := q.Normalize()
	if err != nil {
		return domain.HistoryPage{}, err
	}
	parentID, err = ParseID("replyTo", parentID)
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
	items, err := a.p.Threads.Thread(ctx, acc.Room.ID, parentID, q.After, q.Limit+1)
	if err != nil {
		return domain.HistoryPage{}, err
	}
	items, more := trim(items, q.Limit)
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

// ChangeReader lists a room's messages by rev.
type ChangeReader interface {
	// ChangedSince returns roomID's messages with rev > since, in rev
	// order, at most limit.
	ChangedSince(ctx context.Context, roomID string, since int64, limit int) ([]domain.Message, error)
}

// ChangedSince pages every message of roomID whose rev is above since (new
// ones and changed older ones), in rev order, for a caller who may read
// the room; Next is the since of the next page.
func (a *App) ChangedSince(ctx context.Context, userID, roomID string, since int64, limit int) (domain.HistoryPage, error) {
	if roomID == "" {
		roomID = domain.GlobalRoomID
	}
	if since < 0 {
		return domain.HistoryPage{}, &domain.InvalidError{Field: "changedSince", Message: "must be >= 0"}
	}
	q, err := domain.HistoryQuery{Limit: limit}.Normalize()
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
	items, err := a.p.ChangeLog.ChangedSince(ctx, acc.Room.ID, since, q.Limit+1)
	if err != nil {
		return domain.HistoryPage{}, err
	}
	items, more := trim(items, q.Limit)
	if err := a.fillAttachments(ctx, items); err != nil {
		return domain.HistoryPage{}, err
	}
	redact(acc, items)
	page := domain.HistoryPage{Items: items}
	if more {
		page.Next = items[len(items)-1].Rev
	}
	return page, nil
}
