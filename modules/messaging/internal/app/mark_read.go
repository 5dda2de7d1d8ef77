package app

import (
	"context"
	"errors"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// ReceiptWriter moves read pointers.
type ReceiptWriter interface {
	// Advance sets the user's read pointer to max(current, min(r.Seq,
	// room's last seq)) and, when it moved, records a receipt.updated event
	// in the same transaction. It returns the pointer after the call.
	Advance(ctx context.Context, r domain.Receipt) (seq int64, moved bool, err error)
}

// MarkRead records that userID has read the room up to seq. The pointer
// never moves back, and never past the room's newest message: the returned
// seq is where it stands. Members only (everyone for the global room).
func (a *App) MarkRead(ctx context.Context, userID, roomID string, seq int64) (int64, error) {
	if seq < 0 {
		return 0, &domain.InvalidError{Field: "seq", Message: "must be zero or a positive seq"}
	}
	acc, err := a.access(ctx, "roomId", roomID, userID)
	if err != nil {
		return 0, err
	}
	if err := acc.CanPost(); err != nil {
		return 0, err
	}
	got, moved, err := a.p.Receipts.Advance(ctx, domain.Receipt{RoomID: acc.Room.ID, UserID: userID, Seq: seq})
	if err != nil {
		return 0, err
	}
	if moved {
		a.wake()
	}
	return got, nil
}

func isInvalid(err error) bool { return errors.Is(err, domain.ErrInvalid) }
