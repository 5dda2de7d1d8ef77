package postgres

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"gorm.io/gorm"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
	"github.com/chatforge/chat/platform/database"
)

// Create implements app.RoomWriter.
func (s *Store) Create(ctx context.Context, room domain.Room, members []domain.Member) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		// The new row is locked by its own insert until commit, which is what
		// the outbox ordering needs.
		if err := tx.Exec(`INSERT INTO rooms (id, kind, name, owner_id, member_count, created_at, encrypted) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			room.ID, string(room.Kind), room.Name, nullable(room.OwnerID), len(members), room.CreatedAt, room.Encrypted).Error; err != nil {
			return err
		}
		if err := insertMembers(tx, room.ID, members); err != nil {
			return err
		}
		return s.recordEvents(tx, joinEvents(room, room.OwnerID, members)...)
	})
	if isFKViolation(err) {
		return domain.ErrUserNotFound
	}
	return err
}

// OpenDirect implements app.RoomWriter. The unique index on the ordered
// pair makes concurrent first calls agree: the loser's insert waits for the
// winner's commit, does nothing, and reads the winner's room.
func (s *Store) OpenDirect(ctx context.Context, room domain.Room, by string) (domain.Room, bool, error) {
	var stored domain.Room
	created := false
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var id string
		err := database.ScanRow(tx.Raw(`INSERT INTO rooms (id, kind, dm_low, dm_high, member_count, created_at) VALUES (?, 'direct', ?, ?, 2, ?)
			ON CONFLICT (dm_low, dm_high) WHERE kind = 'direct' DO NOTHING RETURNING id`,
			room.ID, room.Pair[0], room.Pair[1], room.CreatedAt), &id)
		if errors.Is(err, sql.ErrNoRows) {
			var rows []roomRow
			if err := tx.Raw(`SELECT `+roomColumns+` FROM rooms r WHERE r.kind = 'direct' AND r.dm_low = ? AND r.dm_high = ?`,
				room.Pair[0], room.Pair[1]).Scan(&rows).Error; err != nil {
				return err
			}
			if len(rows) == 0 {
				return errors.New("direct room vanished after conflict")
			}
			stored = rows[0].toDomain()
			return nil
		} else if err != nil {
			return err
		}
		room.MemberCount = 2
		members := []domain.Member{
			{UserID: by, Role: domain.RoleMember, JoinedAt: room.CreatedAt},
			{UserID: room.Peer(by), Role: domain.RoleMember, JoinedAt: room.CreatedAt},
		}
		if err := insertMembers(tx, room.ID, members); err != nil {
			return err
		}
		stored, created = room, true
		return s.recordEvents(tx, joinEvents(room, by, members)...)
	})
	if isFKViolation(err) {
		return domain.Room{}, false, domain.ErrUserNotFound
	}
	return stored, created, err
}

func insertMembers(tx *gorm.DB, roomID string, members []domain.Member) error {
	var sql strings.Builder
	sql.WriteString("INSERT INTO memberships (room_id, user_id, role, joined_at) VALUES ")
	args := make([]any, 0, 4*len(members))
	for i, m := range members {
		if i > 0 {
			sql.WriteString(", ")
		}
		sql.WriteString("(?, ?, ?, ?)")
		args = append(args, roomID, m.UserID, string(m.Role), m.JoinedAt)
	}
	return tx.Exec(sql.String(), args...).Error
}

// joinEvents describes a new room's members: its creator joined, the others
// were added by the creator.
func joinEvents(room domain.Room, creator string, members []domain.Member) []domain.Event {
	events := make([]domain.Event, len(members))
	for i, m := range members {
		action := domain.ActionAdded
		if m.UserID == creator {
			action = domain.ActionJoined
		}
		c := domain.Change{RoomID: room.ID, UserID: m.UserID, By: creator, Action: action, Role: m.Role}
		events[i] = domain.MembershipChanged(newEventID(), c, room.CreatedAt)
	}
	return events
}
