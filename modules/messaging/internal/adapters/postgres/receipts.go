package postgres

import (
	"context"
	"database/sql"
	"errors"

	"gorm.io/gorm"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
	"github.com/chatforge/chat/platform/database"
)

// Advance implements app.ReceiptWriter. The room row is share-locked first:
// it fixes last_seq for the clamp and orders the receipt event after every
// message event already committed in the room (see the package comment).
func (s *Store) Advance(ctx context.Context, r domain.Receipt) (int64, bool, error) {
	var got int64
	var moved bool
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var last int64
		err := database.ScanRow(tx.Raw(`SELECT last_seq FROM rooms WHERE id = ? FOR SHARE`, r.RoomID), &last)
		if errors.Is(err, sql.ErrNoRows) {
			return domain.ErrNotFound
		} else if err != nil {
			return err
		}
		var cur int64
		err = database.ScanRow(tx.Raw(`SELECT last_read_seq FROM read_receipts WHERE room_id = ? AND user_id = ? FOR UPDATE`,
			r.RoomID, r.UserID), &cur)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		r.Seq = min(r.Seq, last)
		if r.Seq <= cur {
			got = cur
			return nil
		}
		now := s.clock()
		// GREATEST guards the race of two first receipts (no row to lock yet).
		err = database.ScanRow(tx.Raw(`INSERT INTO read_receipts (room_id, user_id, last_read_seq, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (room_id, user_id) DO UPDATE
			SET last_read_seq = GREATEST(read_receipts.last_read_seq, EXCLUDED.last_read_seq), updated_at = EXCLUDED.updated_at
			RETURNING last_read_seq`, r.RoomID, r.UserID, r.Seq, now), &got)
		if err != nil {
			return err
		}
		moved = true
		return s.recordEvents(tx, domain.ReceiptUpdated(newEventID(), domain.Receipt{RoomID: r.RoomID, UserID: r.UserID, Seq: got, Unread: max(0, last-got)}, now))
	})
	return got, moved, err
}
