package postgres

import (
	"context"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// RoomStates implements app.StateReader: the global room and the user's
// memberships (memberships_user_room_idx), each with its read pointer.
func (s *Store) RoomStates(ctx context.Context, userID string) ([]domain.RoomState, error) {
	var rows []struct {
		RoomID  string
		LastSeq int64
		Rev     int64
		ReadSeq int64
	}
	err := s.db.WithContext(ctx).Raw(`SELECT r.id::text AS room_id, r.last_seq, r.rev, COALESCE(rr.last_read_seq, 0) AS read_seq
		FROM rooms r
		LEFT JOIN read_receipts rr ON rr.room_id = r.id AND rr.user_id = @user
		WHERE r.id = CAST(@global AS uuid) OR r.id IN (SELECT room_id FROM memberships WHERE user_id = @user)
		ORDER BY r.id`, map[string]any{"user": userID, "global": domain.GlobalRoomID}).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]domain.RoomState, len(rows))
	for i, r := range rows {
		out[i] = domain.RoomState(r)
	}
	return out, nil
}

// Peers returns the users who share a room other than the global one with
// userID (userID aside).
func (s *Store) Peers(ctx context.Context, userID string) ([]string, error) {
	var ids []string
	err := s.db.WithContext(ctx).Raw(`SELECT DISTINCT o.user_id::text FROM memberships m
		JOIN memberships o ON o.room_id = m.room_id
		WHERE m.user_id = ? AND o.user_id <> m.user_id`, userID).Scan(&ids).Error
	return ids, err
}
