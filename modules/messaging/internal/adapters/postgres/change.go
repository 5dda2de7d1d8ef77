package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
	"github.com/chatforge/chat/platform/database"
)

// ChangeMessage implements app.MessageChanger.
//
// The room row is locked (FOR NO KEY UPDATE, as a send's UPDATE takes it)
// before the message is read, so every change of a room's messages, sends
// included, is serialized on that one lock: the message read is current,
// and the rev taken from rooms.rev under it is committed in rev order.
func (s *Store) ChangeMessage(ctx context.Context, id, userID string, change func(domain.Access, *domain.Message) (bool, error)) (domain.Message, error) {
	return s.changeMessage(ctx, id, userID, func(acc domain.Access, m *domain.Message) (bool, *domain.ModEntry, error) {
		changed, err := change(acc, m)
		return changed, nil, err
	})
}

func (s *Store) changeMessage(ctx context.Context, id, userID string, change func(domain.Access, *domain.Message) (bool, *domain.ModEntry, error)) (domain.Message, error) {
	var out domain.Message
	atts, err := s.ForMessages(ctx, []string{id})
	if err != nil {
		return domain.Message{}, err
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		acc, m, err := lockMessage(tx, id, userID)
		if err != nil {
			return err
		}
		if !m.Deleted() {
			m.Attachments = atts[m.ID]
		}
		changed, entry, err := change(acc, &m)
		if err != nil || !changed {
			out = m
			return err
		}
		if err := s.storeChange(tx, &m); err != nil {
			return err
		}
		if entry != nil {
			entry.ID, entry.RoomID, entry.MessageID, entry.CreatedAt = newEventID(), m.RoomID, m.ID, s.clock()
			if err := insertModLog(tx, *entry); err != nil {
				return err
			}
		}
		out = m
		return nil
	})
	if err != nil {
		return domain.Message{}, err
	}
	return out, nil
}

// lockMessage locks the room of message id and reads the message and
// userID's access to the room under that lock. ErrMessageNotFound when id
// names no message.
func lockMessage(tx *gorm.DB, id, userID string) (domain.Access, domain.Message, error) {
	var roomID string
	err := database.ScanRow(tx.Raw(`SELECT room_id FROM messages WHERE id = ?`, id), &roomID)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Access{}, domain.Message{}, domain.ErrMessageNotFound
	} else if err != nil {
		return domain.Access{}, domain.Message{}, err
	}
	var r roomRow
	err = database.ScanRow(tx.Raw(`SELECT `+roomColumns+`, m.role FROM rooms r
		LEFT JOIN memberships m ON m.room_id = r.id AND m.user_id = ?
		WHERE r.id = ? FOR NO KEY UPDATE OF r`, userID, roomID),
		&r.ID, &r.Kind, &r.Name, &r.OwnerID, &r.DmLow, &r.DmHigh, &r.LastSeq, &r.MemberCount, &r.CreatedAt, &r.Encrypted, &r.Role)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Access{}, domain.Message{}, domain.ErrMessageNotFound
	} else if err != nil {
		return domain.Access{}, domain.Message{}, err
	}
	var rows []messageRow
	if err := tx.Raw(`SELECT `+messageColumns+` FROM messages m WHERE m.id = ?`, id).Scan(&rows).Error; err != nil {
		return domain.Access{}, domain.Message{}, err
	}
	if len(rows) == 0 {
		return domain.Access{}, domain.Message{}, domain.ErrMessageNotFound
	}
	return domain.Access{Room: r.toDomain(), Role: r.role()}, rows[0].toDomain(), nil
}

// storeChange gives m the room's next rev and writes its changed fields
// and its message.updated event. m carries its attachments, read by the
// caller before its transaction (they change only with a send or a
// deletion): reading them inside would hold two pool connections at once. The room row is locked by the caller.
func (s *Store) storeChange(tx *gorm.DB, m *domain.Message) error {
	var at time.Time
	if err := database.ScanRow(tx.Raw(`UPDATE rooms SET rev = rev + 1 WHERE id = ? RETURNING rev, clock_timestamp()`, m.RoomID),
		&m.Rev, &at); err != nil {
		return err
	}
	reactions, err := encodeReactions(m.Reactions)
	if err != nil {
		return err
	}
	if m.Deleted() {
		m.Attachments = nil // the app drops them after the commit
	}
	// The room hears of a hidden message without its content; its
	// moderators read it over REST.
	event := domain.MessageUpdated(newEventID(), m.Redacted(), at.UTC())
	data, err := s.encode(event)
	if err != nil {
		return fmt.Errorf("encode %s event: %w", event.Type, err)
	}
	// A deletion drops the message's reactions with its content.
	return tx.Exec(`WITH m AS (
			UPDATE messages SET content = CAST(@content AS text), rev = CAST(@rev AS bigint), edited_at = CAST(@edited AS timestamptz), deleted_at = CAST(@deleted AS timestamptz),
				reactions = CAST(@reactions AS jsonb), moderation = CAST(@moderation AS jsonb),
				ciphertext = CASE WHEN CAST(@deleted AS timestamptz) IS NULL THEN ciphertext END
			WHERE id = CAST(@id AS uuid)
			RETURNING id
		), d AS (
			DELETE FROM reactions WHERE message_id = CAST(@id AS uuid) AND CAST(@deleted AS timestamptz) IS NOT NULL
		)
		INSERT INTO outbox (event_id, room_id, type, payload, created_at, trace)
		SELECT CAST(@event AS uuid), CAST(@room AS uuid), CAST(@type AS text), CAST(@payload AS jsonb), CAST(@at AS timestamptz), CAST(@trace AS text) FROM m`, map[string]any{
		"content": m.Content, "rev": m.Rev, "edited": optTime(m.EditedAt), "deleted": optTime(m.DeletedAt),
		"reactions": reactions, "id": m.ID, "event": event.ID, "room": m.RoomID, "type": string(event.Type),
		"payload": string(data), "at": at, "moderation": encodeModeration(m.Moderation),
		"trace": nullable(traceparent(tx.Statement.Context, "")),
	}).Error
}

// optTime is a nullable timestamptz: nil for the zero time.
func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// encodeReactions is decodeReactions' inverse; nil for none (NULL).
func encodeReactions(rs []domain.ReactionCount) (*string, error) {
	if len(rs) == 0 {
		return nil, nil
	}
	out := make([]reactionJSON, len(rs))
	for i, r := range rs {
		out[i] = reactionJSON(r)
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	s := string(b)
	return &s, nil
}

// encodeModeration is messages.moderation: NULL when visible.
func encodeModeration(mod domain.Moderation) *string {
	if mod.Status == "" {
		return nil
	}
	b, _ := json.Marshal(moderationJSON(mod)) // two strings: cannot fail
	s := string(b)
	return &s
}

// moderationJSON is messages.moderation's shape.
type moderationJSON struct {
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// decodeModeration reads messages.moderation (text or binary jsonb).
func decodeModeration(b []byte) domain.Moderation {
	if len(b) > 0 && b[0] == 1 {
		b = b[1:]
	}
	if len(b) == 0 { // most rows: before m, which escapes to the heap
		return domain.Moderation{}
	}
	var m moderationJSON
	if json.Unmarshal(b, &m) != nil {
		return domain.Moderation{}
	}
	return domain.Moderation(m)
}
