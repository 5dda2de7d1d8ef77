package postgres

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/chatforge/chat/modules/notify/internal/app"
)

// Rooms reads the messaging tables (rooms, memberships) and identity's
// users to pick push recipients and name them. Read-only: the schema
// belongs to those modules, and these two queries are all notify needs.
type Rooms struct{ db *gorm.DB }

var (
	_ app.Recipients   = (*Rooms)(nil)
	_ app.Directory    = (*Rooms)(nil)
	_ app.ReadPointers = (*Rooms)(nil)
)

// ReadSeq implements app.ReadPointers: the user's read pointer in the room
// (0 when none), a primary-key lookup of messaging's read_receipts.
func (r *Rooms) ReadSeq(ctx context.Context, userID, roomID string) (int64, error) {
	var seq []int64
	err := r.db.WithContext(ctx).Raw(`SELECT last_read_seq FROM read_receipts WHERE room_id = ? AND user_id = ?`,
		roomID, userID).Scan(&seq).Error
	if err != nil {
		return 0, fmt.Errorf("read pointer: %w", err)
	}
	if len(seq) == 0 {
		return 0, nil
	}
	return seq[0], nil
}

// NewRooms returns the reader on db.
func NewRooms(db *gorm.DB) *Rooms { return &Rooms{db: db} }

// PushRecipients implements app.Recipients: members with a subscription
// of a live session. The global room has no membership rows (everyone is
// in it implicitly), so it yields nobody: by policy a message to the global
// room pushes to no one, or every message there would buzz every phone.
// A member who blocks the sender (messaging's user_blocks) gets no push.
func (r *Rooms) PushRecipients(ctx context.Context, roomID, senderID string) ([]string, error) {
	var ids []string
	err := r.db.WithContext(ctx).Raw(`
		SELECT DISTINCT m.user_id::text FROM memberships m
		JOIN push_subscriptions p ON p.user_id = m.user_id
		JOIN sessions se ON se.id = p.session_id AND `+liveSession+`
		WHERE m.room_id = ? AND m.user_id <> ?
			AND NOT EXISTS (SELECT 1 FROM user_blocks b WHERE b.blocker_id = m.user_id AND b.blocked_id = ?)`,
		roomID, senderID, senderID).Scan(&ids).Error
	if err != nil {
		return nil, fmt.Errorf("push recipients: %w", err)
	}
	return ids, nil
}

// Names implements app.Directory: the room's name ("" for direct rooms)
// and the user's display name.
func (r *Rooms) Names(ctx context.Context, roomID, userID string) (string, string, error) {
	var row struct {
		Room string
		User string
	}
	err := r.db.WithContext(ctx).Raw(`
		SELECT COALESCE((SELECT name FROM rooms WHERE id = ?), '') AS room,
		       COALESCE((SELECT display_name FROM users WHERE id = ?), '') AS "user"`, roomID, userID).Scan(&row).Error
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return "", "", fmt.Errorf("names: %w", err)
	}
	return row.Room, row.User, nil
}
