package postgres

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
	"github.com/chatforge/chat/platform/database"
)

// React implements app.ReactionWriter: the reactions row and the
// message's counts (messages.reactions) change together under the room
// lock, so the counts always equal the rows.
func (s *Store) React(ctx context.Context, id, userID, emoji string, add bool, check func(domain.Access, domain.Message) error) (domain.Message, bool, error) {
	var (
		out     domain.Message
		changed bool
	)
	atts, err := s.ForMessages(ctx, []string{id})
	if err != nil {
		return domain.Message{}, false, err
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		acc, m, err := lockMessage(tx, id, userID)
		if err != nil {
			return err
		}
		if !m.Deleted() {
			m.Attachments = atts[m.ID]
		}
		out = m
		m.Reactions = slices.Clone(m.Reactions) // counted below; out keeps them as read
		if err := check(acc, m); err != nil {
			return err
		}
		var n int64
		if add {
			// Checked before the insert: a new emoji past the bound is
			// refused even when this user's row would be new.
			if err := m.AddReaction(emoji); err != nil {
				return err
			}
			res := tx.Exec(`INSERT INTO reactions (message_id, user_id, emoji, created_at) VALUES (?, ?, ?, clock_timestamp())
				ON CONFLICT DO NOTHING`, id, userID, emoji)
			if res.Error != nil {
				return res.Error
			}
			n = res.RowsAffected
		} else {
			m.RemoveReaction(emoji)
			res := tx.Exec(`DELETE FROM reactions WHERE message_id = ? AND user_id = ? AND emoji = ?`, id, userID, emoji)
			if res.Error != nil {
				return res.Error
			}
			n = res.RowsAffected
		}
		if n == 0 {
			return nil // already so: out is the message as read
		}
		if err := s.storeChange(tx, &m); err != nil {
			return err
		}
		out, changed = m, true
		return nil
	})
	if err != nil {
		return domain.Message{}, false, err
	}
	return out, changed, nil
}

// Reactions implements app.ReactionWriter.
func (s *Store) Reactions(ctx context.Context, id, userID string, limit int, check func(domain.Access) error) ([]domain.Reaction, error) {
	db := s.db.WithContext(ctx)
	var r roomRow
	err := database.ScanRow(db.Raw(`SELECT `+roomColumns+`, mb.role FROM messages msg
		JOIN rooms r ON r.id = msg.room_id
		LEFT JOIN memberships mb ON mb.room_id = r.id AND mb.user_id = ?
		WHERE msg.id = ?`, userID, id),
		&r.ID, &r.Kind, &r.Name, &r.OwnerID, &r.DmLow, &r.DmHigh, &r.LastSeq, &r.MemberCount, &r.CreatedAt, &r.Encrypted, &r.Role)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.ErrMessageNotFound
	} else if err != nil {
		return nil, err
	}
	if err := check(domain.Access{Room: r.toDomain(), Role: r.role()}); err != nil {
		return nil, err
	}
	var rows []struct {
		Emoji     string
		UserID    string
		CreatedAt time.Time
	}
	if err := db.Raw(`SELECT emoji, user_id, created_at FROM reactions WHERE message_id = ?
		ORDER BY created_at, user_id, emoji LIMIT ?`, id, limit).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]domain.Reaction, len(rows))
	for i, x := range rows {
		out[i] = domain.Reaction{Emoji: x.Emoji, UserID: x.UserID, CreatedAt: x.CreatedAt.UTC()}
	}
	return out, nil
}
