package postgres

import (
	"context"
	"database/sql"
	"errors"

	"gorm.io/gorm"

	"github.com/chatforge/chat/modules/messaging/internal/app"
	"github.com/chatforge/chat/modules/messaging/internal/domain"
	"github.com/chatforge/chat/platform/database"
)

// ChangeMembership implements app.MembershipChanger. The room row lock
// (FOR NO KEY UPDATE: it does not block inserts that only reference the
// room) serializes membership changes with each other and with sends, so
// decide sees current roles and member_count stays exact.
func (s *Store) ChangeMembership(ctx context.Context, roomID, actorID, targetID string, decide app.Decide) (domain.Change, error) {
	var c domain.Change
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var rows []roomRow
		if err := tx.Raw(`SELECT `+roomColumns+` FROM rooms r WHERE r.id = ? FOR NO KEY UPDATE`, roomID).Scan(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return domain.ErrNotFound
		}
		room := rows[0].toDomain()
		actorRole, err := roleOf(tx, roomID, actorID)
		if err != nil {
			return err
		}
		targetRole := actorRole
		if targetID != actorID {
			if targetRole, err = roleOf(tx, roomID, targetID); err != nil {
				return err
			}
		}
		if c, err = decide(domain.Access{Room: room, Role: actorRole}, targetRole); err != nil || c.Noop {
			return err
		}
		now := s.clock()
		if c.Adds() {
			banned, err := targetOf(tx, roomID, c.UserID, now)
			if err != nil {
				return err
			}
			if banned.Banned {
				if c.Action == domain.ActionJoined {
					return domain.ErrBanned
				}
				return domain.ErrUserBanned
			}
			if err := insertMembers(tx, roomID, []domain.Member{{UserID: c.UserID, Role: c.Role, JoinedAt: now}}); err != nil {
				return err
			}
			// A new member starts with nothing unread.
			if err := tx.Exec(`INSERT INTO read_receipts (room_id, user_id, last_read_seq, updated_at) VALUES (?, ?, ?, ?)
				ON CONFLICT (room_id, user_id) DO UPDATE SET last_read_seq = GREATEST(read_receipts.last_read_seq, EXCLUDED.last_read_seq)`,
				roomID, c.UserID, room.LastSeq, now).Error; err != nil {
				return err
			}
			err = tx.Exec(`UPDATE rooms SET member_count = member_count + 1 WHERE id = ?`, roomID).Error
		} else {
			if err := tx.Exec(`DELETE FROM memberships WHERE room_id = ? AND user_id = ?`, roomID, c.UserID).Error; err != nil {
				return err
			}
			if err := tx.Exec(`DELETE FROM read_receipts WHERE room_id = ? AND user_id = ?`, roomID, c.UserID).Error; err != nil {
				return err
			}
			err = tx.Exec(`UPDATE rooms SET member_count = member_count - 1 WHERE id = ?`, roomID).Error
		}
		if err != nil {
			return err
		}
		return s.recordEvents(tx, domain.MembershipChanged(newEventID(), c, now))
	})
	if isFKViolation(err) {
		return domain.Change{}, domain.ErrUserNotFound
	}
	return c, err
}

func roleOf(tx *gorm.DB, roomID, userID string) (domain.Role, error) {
	var role string
	err := database.ScanRow(tx.Raw(`SELECT role FROM memberships WHERE room_id = ? AND user_id = ?`, roomID, userID), &role)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.RoleNone, nil
	}
	return domain.Role(role), err
}
